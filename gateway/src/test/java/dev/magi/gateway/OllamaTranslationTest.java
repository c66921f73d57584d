package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeOllama;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** OpenAI requests to an Ollama backend and back, at the level of the bytes on both sides. */
class OllamaTranslationTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static GatewayFixture magi;
  private static FakeOllama ollama;

  @BeforeAll
  static void start() {
    magi = new GatewayFixture();
    ollama = magi.ollama(new FakeOllama.Options().models(List.of("llama3.2:latest", "qwen2.5:0.5b")));
    magi.start(Yaml.ollama(ollama.url()));
  }

  @AfterAll
  static void stop() {
    magi.close();
  }

  private static List<JsonNode> events(String body) throws Exception {
    assertTrue(body.endsWith("data: [DONE]\n\n"), body);
    List<JsonNode> events = new ArrayList<>();
    for (String event : body.split("\n\n")) {
      assertTrue(event.startsWith("data: "), event);
      String data = event.substring(6);
      if (!data.equals("[DONE]")) {
        events.add(JSON.readTree(data));
      }
    }
    return events;
  }

  @Test
  void chatStreamBecomesOpenAiChunks() throws Exception {
    HttpResponse<String> response = magi.post("/v1/chat/completions", "{\"model\":\"llama3.2\",\"stream\":true,"
        + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Why?\"}]}");

    assertEquals(200, response.statusCode());
    assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElseThrow());
    List<JsonNode> chunks = events(response.body());
    assertEquals(7, chunks.size(), "5 content chunks, a finish chunk and a usage chunk");
    JsonNode first = chunks.get(0);
    assertEquals("chat.completion.chunk", first.get("object").asText());
    assertEquals("llama3.2:latest", first.get("model").asText());
    assertTrue(first.get("id").asText().startsWith("chatcmpl-"));
    assertEquals("assistant", first.at("/choices/0/delta/role").asText());
    assertEquals("The", first.at("/choices/0/delta/content").asText());
    assertTrue(first.get("usage").isNull(), "with include_usage every other chunk has usage: null");
    for (JsonNode chunk : chunks) {
      assertEquals(first.get("id"), chunk.get("id"), "one id for the whole stream");
      assertEquals(first.get("created"), chunk.get("created"));
    }
    assertFalse(chunks.get(1).at("/choices/0/delta").has("role"), "the role only in the first chunk");
    JsonNode finish = chunks.get(5);
    assertEquals("{}", finish.at("/choices/0/delta").toString());
    assertEquals("stop", finish.at("/choices/0/finish_reason").asText());
    JsonNode usage = chunks.get(6);
    assertEquals(0, usage.get("choices").size());
    assertEquals("{\"prompt_tokens\":26,\"completion_tokens\":5,\"total_tokens\":31}", usage.get("usage").toString());

    JsonNode sent = ollama.lastRequest("/api/chat").json();
    assertEquals("llama3.2:latest", sent.get("model").asText());
    assertTrue(sent.get("stream").asBoolean());
  }

  @Test
  void requestFieldsAreMappedToOllamaOptions() {
    magi.post("/v1/chat/completions", "{\"model\":\"qwen2.5:0.5b\",\"messages\":["
        + "{\"role\":\"developer\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]}],"
        + "\"max_completion_tokens\":3,\"temperature\":0.2,\"top_p\":0.9,\"seed\":7,\"stop\":\"\\n\","
        + "\"response_format\":{\"type\":\"json_object\"},\"user\":\"u1\"}");

    JsonNode sent = ollama.lastRequest("/api/chat").json();
    assertEquals("system", sent.at("/messages/0/role").asText(), "developer becomes system");
    assertEquals("What is this?", sent.at("/messages/1/content").asText());
    assertEquals("iVBORw0KGgo=", sent.at("/messages/1/images/0").asText());
    assertEquals(3, sent.at("/options/num_predict").asInt());
    assertEquals(0.2, sent.at("/options/temperature").asDouble());
    assertEquals(0.9, sent.at("/options/top_p").asDouble());
    assertEquals(7, sent.at("/options/seed").asInt());
    assertEquals("[\"\\n\"]", sent.at("/options/stop").toString());
    assertEquals("json", sent.get("format").asText());
    assertFalse(sent.get("stream").asBoolean(), "stream is sent explicitly: Ollama streams by default");
    assertFalse(sent.has("user"));
  }

  @Test
  void toolCallsTranslateBothWays() throws Exception {
    String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
        + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]";
    HttpResponse<String> response = magi.post("/v1/chat/completions", "{\"model\":\"llama3.2\",\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]," + tools + "}");

    List<JsonNode> chunks = events(response.body());
    JsonNode call = chunks.get(0).at("/choices/0/delta/tool_calls/0");
    assertEquals(0, call.get("index").asInt());
    assertEquals("call_fake0001", call.get("id").asText());
    assertEquals("function", call.get("type").asText());
    assertEquals("get_weather", call.at("/function/name").asText());
    assertEquals("{\"city\":\"Paris\"}", call.at("/function/arguments").asText(), "arguments become JSON text");
    assertEquals("tool_calls", chunks.get(chunks.size() - 1).at("/choices/0/finish_reason").asText());
    assertEquals("get_weather", ollama.lastRequest("/api/chat").json().at("/tools/0/function/name").asText());

    // The client answers with the tool result: arguments text goes back as an object, the tool name is found.
    magi.post("/v1/chat/completions", "{\"model\":\"llama3.2\",\"messages\":["
        + "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
        + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"18 C\"}]," + tools
        + ",\"tool_choice\":\"none\"}");
    JsonNode sent = ollama.lastRequest("/api/chat").json();
    assertEquals("Paris", sent.at("/messages/1/tool_calls/0/function/arguments/city").asText());
    assertEquals("get_weather", sent.at("/messages/2/tool_name").asText());
    assertEquals("call_1", sent.at("/messages/2/tool_call_id").asText());
    assertFalse(sent.has("tools"), "tool_choice none leaves the tools out");
  }

  @Test
  void nonStreamedToolCallHasNullContentAndToolCallsReason() throws Exception {
    HttpResponse<String> response = magi.post("/v1/chat/completions", "{\"model\":\"llama3.2\",\"messages\":"
        + "[{\"role\":\"user\",\"content\":\"Weather?\"}],\"tools\":[{\"type\":\"function\",\"function\":"
        + "{\"name\":\"get_weather\"}}]}");

    JsonNode body = JSON.readTree(response.body());
    assertEquals("chat.completion", body.get("object").asText());
    assertTrue(body.at("/choices/0/message/content").isNull());
    assertEquals("{\"city\":\"Paris\"}", body.at("/choices/0/message/tool_calls/0/function/arguments").asText());
    assertEquals("tool_calls", body.at("/choices/0/finish_reason").asText());
  }

  @Test
  void completionStreamBecomesTextCompletionChunks() throws Exception {
    HttpResponse<String> response = magi.post("/v1/completions",
        "{\"model\":\"llama3.2\",\"prompt\":\"Once\",\"max_tokens\":2,\"stream\":true}");

    List<JsonNode> chunks = events(response.body());
    assertEquals(3, chunks.size());
    assertEquals("text_completion", chunks.get(0).get("object").asText());
    assertEquals("The", chunks.get(0).at("/choices/0/text").asText());
    assertEquals(" sky", chunks.get(1).at("/choices/0/text").asText());
    assertEquals("length", chunks.get(2).at("/choices/0/finish_reason").asText());
    assertEquals("Once", ollama.lastRequest("/api/generate").json().get("prompt").asText());
  }

  @Test
  void errorLineMidStreamBecomesTheErrorEvent() {
    ollama.errorLineInNextStreamAfter(2);

    String body = magi.post("/v1/chat/completions", "{\"model\":\"llama3.2\",\"stream\":true,\"messages\":"
        + "[{\"role\":\"user\",\"content\":\"Hi\"}]}").body();

    String[] events = body.split("\n\n");
    assertEquals(3, events.length, body);
    assertEquals("data: {\"error\":{\"message\":\"an error was encountered while running the model: unexpected EOF\","
        + "\"type\":\"server_error\",\"param\":null,\"code\":null}}", events[2]);
    assertFalse(body.contains("[DONE]"));
  }

  @Test
  void embeddingsFromOllama() throws Exception {
    HttpResponse<String> response = magi.post("/v1/embeddings",
        "{\"model\":\"llama3.2\",\"input\":[\"a\",\"b\"]}");

    JsonNode body = JSON.readTree(response.body());
    assertEquals("list", body.get("object").asText());
    assertEquals(2, body.get("data").size());
    assertEquals(1, body.at("/data/1/index").asInt());
    assertEquals(8, body.at("/data/0/embedding").size());
    assertEquals(4, body.at("/usage/prompt_tokens").asInt());
    assertEquals("[\"a\",\"b\"]", ollama.lastRequest("/api/embed").json().get("input").toString());
  }

  @Test
  void whatOllamaCannotDoIsRefusedBeforeSending() {
    int before = ollama.requests().size();
    String[][] cases = {
        {"/v1/chat/completions", "{\"model\":\"llama3.2\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
            "n"},
        {"/v1/chat/completions", "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
            + "\"image_url\",\"image_url\":{\"url\":\"http://169.254.169.254/latest\"}}]}]}",
            "messages[0].content[0].image_url.url"},
        {"/v1/completions", "{\"model\":\"llama3.2\",\"prompt\":[1,2,3]}", "prompt"},
        {"/v1/embeddings", "{\"model\":\"llama3.2\",\"input\":[[1,2]]}", "input"},
    };
    for (String[] c : cases) {
      HttpResponse<String> response = magi.post(c[0], c[1]);
      assertEquals(400, response.statusCode(), c[1]);
      assertTrue(response.body().contains("\"param\":\"" + c[2] + "\""), response.body());
    }
    assertEquals(before, ollama.requests().size(), "nothing reached Ollama");
  }

  @Test
  void modelOllamaDoesNotHaveIsModelNotFound() {
    // Pinned to a name that is not pulled: Ollama's own 404 becomes OpenAI's model_not_found.
    try (GatewayFixture pinned = new GatewayFixture()) {
      pinned.start("backends:\n  - model: missing\n    url: " + ollama.url() + "\n    type: ollama\n");

      HttpResponse<String> response = pinned.post("/v1/chat/completions",
          "{\"model\":\"missing\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

      assertEquals(404, response.statusCode());
      assertEquals("{\"error\":{\"message\":\"model 'missing:latest' not found\",\"type\":\"invalid_request_error\","
          + "\"param\":null,\"code\":\"model_not_found\"}}", response.body());
    }
  }

  @Test
  void newlyPulledModelsAppearAfterARefresh() throws Exception {
    try (GatewayFixture refreshing = new GatewayFixture()) {
      FakeOllama own = refreshing.ollama(new FakeOllama.Options());
      refreshing.start("ollama:\n  refresh: 100ms\n" + Yaml.ollama(own.url()));
      own.addModel("mistral:7b");

      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!refreshing.get("/v1/models").body().contains("\"mistral:7b\"")) {
        assertTrue(System.nanoTime() < deadline, "the new model was not listed within 30 s");
        Thread.sleep(20);
      }
      assertEquals(200, refreshing.get("/v1/models/mistral:7b").statusCode());
    }
  }
}
