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
 * {@code POST /tokenize} and {@code /detokenize}, routed by {@code model} to that model's llama-server
 * through the same router as a chat; a model another kind of server serves is refused.
 */
class TokenizeTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static GatewayFixture magi;
  private static FakeLlamaServer llama;

  @BeforeAll
  static void start() {
    magi = new GatewayFixture();
    llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
    FakeOllama ollama = magi.ollama(new FakeOllama.Options());
    magi.start("backends:\n"
        + "  - model: tiny\n    url: " + llama.url() + "\n    type: llama-server\n    aliases: [tiny-alias]\n"
        + "  - url: " + ollama.url() + "\n    type: ollama\n");
  }

  @AfterAll
  static void stop() {
    magi.close();
  }

  @Test
  void tokenizeAndDetokenizeRoundTrip() throws Exception {
    HttpResponse<String> tokenized = magi.post("/tokenize",
        "{\"model\":\"tiny-alias\",\"content\":\"Hello world!\",\"add_special\":true,\"with_pieces\":true}");
    assertEquals(200, tokenized.statusCode(), tokenized.body());
    JsonNode tokens = JSON.readTree(tokenized.body()).get("tokens");
    assertEquals(4, tokens.size());
    assertEquals("<s>", tokens.get(0).get("piece").asText());
    assertEquals(" world", tokens.get(2).get("piece").asText());
    assertEquals("tiny", llama.lastRequest("/tokenize").json().get("model").asText(), "the alias is resolved");

    StringBuilder ids = new StringBuilder();
    for (int i = 1; i < tokens.size(); i++) {
      ids.append(i > 1 ? "," : "").append(tokens.get(i).get("id").asInt());
    }
    HttpResponse<String> detokenized = magi.post("/detokenize", "{\"model\":\"tiny\",\"tokens\":[" + ids + "]}");
    assertEquals(200, detokenized.statusCode(), detokenized.body());
    assertEquals("Hello world!", JSON.readTree(detokenized.body()).get("content").asText());
  }

  @Test
  void refusals() throws Exception {
    HttpResponse<String> ollama = magi.post("/tokenize", "{\"model\":\"llama3.2\",\"content\":\"Hi\"}");
    assertEquals(400, ollama.statusCode());
    assertEquals("unsupported_for_backend", JSON.readTree(ollama.body()).at("/error/code").asText());

    HttpResponse<String> unknown = magi.post("/tokenize", "{\"model\":\"nope\",\"content\":\"Hi\"}");
    assertEquals(404, unknown.statusCode());

    HttpResponse<String> noContent = magi.post("/tokenize", "{\"model\":\"tiny\"}");
    assertEquals(400, noContent.statusCode());
    assertTrue(noContent.body().contains("content"), noContent.body());

    HttpResponse<String> badIds = magi.post("/detokenize", "{\"model\":\"tiny\",\"tokens\":[1,\"two\"]}");
    assertEquals(400, badIds.statusCode());
    assertEquals("tokens", JSON.readTree(badIds.body()).at("/error/param").asText());
  }
}
