package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.FakeOllama;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/rerank} (and {@code /rerank}) routed by {@code model} to a llama-server started with
 * {@code --reranking}; and a chat's retrieval reordered by {@code retrieval.rerank_model}.
 */
class RerankTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static GatewayFixture magi;
  private static FakeLlamaServer chat;
  private static FakeLlamaServer reranker;

  @BeforeAll
  static void start() {
    magi = new GatewayFixture();
    chat = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
    FakeLlamaServer embed = magi.llama(new FakeLlamaServer.Options().alias("embed").embeddings(true));
    reranker = magi.llama(new FakeLlamaServer.Options().alias("bge-reranker").reranking(true));
    FakeOllama ollama = magi.ollama(new FakeOllama.Options());
    magi.start("retrieval:\n  embedding_model: embed\n  rerank_model: bge-reranker\nbackends:\n"
        + "  - model: tiny\n    url: " + chat.url() + "\n    type: llama-server\n"
        + "  - model: embed\n    url: " + embed.url() + "\n    type: llama-server\n"
        + "  - model: bge-reranker\n    url: " + reranker.url() + "\n    type: llama-server\n"
        + "  - model: not-a-reranker\n    url: " + chat.url() + "\n    type: llama-server\n"
        + "  - url: " + ollama.url() + "\n    type: ollama\n");
  }

  @AfterAll
  static void stop() {
    magi.close();
  }

  @Test
  void documentsComeBackBestFirst() throws Exception {
    for (String path : new String[] {"/v1/rerank", "/rerank"}) {
      HttpResponse<String> ranked = magi.post(path, "{\"model\":\"bge-reranker\",\"query\":\"refund policy days\","
          + "\"documents\":[\"Parcels ship from Lyon.\",\"Refunds are paid within 14 days, says the refund policy.\","
          + "\"Refunds take days.\"],\"top_n\":2,\"return_documents\":true}");
      assertEquals(200, ranked.statusCode(), ranked.body());
      JsonNode results = JSON.readTree(ranked.body()).get("results");
      assertEquals(2, results.size());
      assertEquals(1, results.get(0).get("index").asInt());
      assertEquals(2, results.get(1).get("index").asInt());
      assertTrue(results.get(0).get("relevance_score").asDouble() > results.get(1).get("relevance_score").asDouble());
    }
  }

  @Test
  void refusals() throws Exception {
    HttpResponse<String> ollama = magi.post("/v1/rerank", "{\"model\":\"llama3.2\",\"query\":\"q\",\"documents\":[\"d\"]}");
    assertEquals(400, ollama.statusCode());
    assertEquals("unsupported_for_backend", JSON.readTree(ollama.body()).at("/error/code").asText());

    HttpResponse<String> notStarted = magi.post("/v1/rerank",
        "{\"model\":\"not-a-reranker\",\"query\":\"q\",\"documents\":[\"d\"]}");
    assertEquals(501, notStarted.statusCode(), "a server not started with --reranking says so: " + notStarted.body());
    assertTrue(notStarted.body().contains("--reranking"), notStarted.body());

    HttpResponse<String> noDocuments = magi.post("/v1/rerank", "{\"model\":\"bge-reranker\",\"query\":\"q\",\"documents\":[]}");
    assertEquals(400, noDocuments.statusCode());
    assertEquals("documents", JSON.readTree(noDocuments.body()).at("/error/param").asText());
  }

  @Test
  void aChatsRetrievalIsReorderedByTheRerankModel() throws Exception {
    HttpResponse<String> created = magi.post("/v1/vector_stores", "{\"name\":\"kb\"}");
    String store = JSON.readTree(created.body()).get("id").asText();
    StringBuilder documents = new StringBuilder("{\"documents\":[");
    for (int i = 0; i < 8; i++) {
      documents.append(i > 0 ? "," : "").append("{\"id\":\"d").append(i).append("\",\"text\":\"Note ").append(i)
          .append(" about shipping parcels.\"}");
    }
    documents.append(",{\"id\":\"answer\",\"text\":\"Refunds are paid within 14 days.\"}]}");
    assertEquals(200, magi.post("/v1/vector_stores/" + store + "/documents", documents.toString()).statusCode());

    HttpResponse<String> answered = magi.post("/v1/chat/completions", "{\"model\":\"tiny\",\"max_tokens\":2,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"When are refunds paid?\"}],"
        + "\"retrieval\":{\"vector_store_id\":\"" + store + "\",\"max_num_results\":1}}");
    assertEquals(200, answered.statusCode(), answered.body());
    assertEquals("1", answered.headers().firstValue("x-magi-retrieval-count").orElseThrow());

    JsonNode asked = reranker.lastRequest("/v1/rerank").json();
    assertEquals(9, asked.get("documents").size(), "every candidate, though one passage was asked for");
    assertEquals("When are refunds paid?", asked.get("query").asText());
    String context = chat.lastRequest("/v1/chat/completions").json().at("/messages/0/content").asText();
    assertTrue(context.contains("[1] Refunds are paid within 14 days."), context);
  }
}
