package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Bad input gets a clear OpenAI-shaped error with the right status and {@code param}, and never
 * reaches a backend.
 */
class RequestValidationTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static GatewayFixture magi;
  private static FakeLlamaServer llama;

  @BeforeAll
  static void start() {
    magi = new GatewayFixture();
    llama = magi.llama(new FakeLlamaServer.Options());
    magi.start("limits:\n  body_bytes: 64KiB\n  json_depth: 8\n  max_tokens: 4096\n" + Yaml.llama("tiny", llama.url()));
  }

  @AfterAll
  static void stop() {
    magi.close();
  }

  private static final String MSGS = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "empty body                 | /v1/chat/completions | ''                                                   | ",
      "malformed JSON             | /v1/chat/completions | '{\"model\":\"tiny\",' | ",
      "not an object              | /v1/chat/completions | '[1,2]'                                              | ",
      "trailing garbage           | /v1/chat/completions | '{\"model\":\"tiny\"," + "\"messages\":[]} x'       | ",
      "duplicate key              | /v1/chat/completions | '{\"model\":\"tiny\",\"model\":\"other\"}'          | ",
      "missing model              | /v1/chat/completions | '{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}' | model",
      "model not a string         | /v1/chat/completions | '{\"model\":7,\"messages\":[]}'                      | model",
      "missing messages           | /v1/chat/completions | '{\"model\":\"tiny\",\"max_tokens\":4}'             | messages",
      "empty messages             | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[]}'              | messages",
      "message not an object      | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[\"hi\"]}'        | messages[0]",
      "unknown role               | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}' | messages[0].role",
      "content a number           | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":5}]}' | messages[0].content",
      "temperature a string       | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}' | temperature",
      "temperature too high       | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":9}' | temperature",
      "max_tokens over the limit  | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":4097}' | max_tokens",
      "max_tokens negative        | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":-1}' | max_completion_tokens",
      "max_tokens huge            | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":99999999999999999999}' | max_tokens",
      "n too large                | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":1000}' | n",
      "stream not a boolean       | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}' | stream",
      "include_usage not boolean  | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":{\"include_usage\":1}}' | stream_options.include_usage",
      "too many stop sequences    | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}' | stop",
      "tools not an array         | /v1/chat/completions | '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":{}}' | tools",
      "missing prompt             | /v1/completions      | '{\"model\":\"tiny\"}'                               | prompt",
      "mixed prompt array         | /v1/completions      | '{\"model\":\"tiny\",\"prompt\":[\"a\",1]}'           | prompt[1]",
      "missing input              | /v1/embeddings       | '{\"model\":\"tiny\"}'                               | input",
      "empty input array          | /v1/embeddings       | '{\"model\":\"tiny\",\"input\":[]}'                  | input",
      "bad encoding format        | /v1/embeddings       | '{\"model\":\"tiny\",\"input\":\"x\",\"encoding_format\":\"hex\"}' | encoding_format",
  })
  void badInputIsA400NamingTheParam(String name, String path, String body, String param) throws Exception {
    int before = llama.requests().size();

    HttpResponse<String> response = magi.post(path, body == null ? "" : body);

    assertEquals(400, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
    JsonNode error = JSON.readTree(response.body()).get("error");
    assertEquals("invalid_request_error", error.get("type").asText());
    assertTrue(error.get("message").asText().length() > 10);
    assertTrue(error.has("code"));
    assertEquals(param, error.get("param").isNull() ? null : error.get("param").asText(), response.body());
    assertEquals(before, llama.requests().size(), "nothing reached the backend");
  }

  @Test
  void nestingDeeperThanTheLimitIsRefused() throws Exception {
    String deep = "[".repeat(20) + "]".repeat(20);
    HttpResponse<String> response = magi.post("/v1/chat/completions", "{\"model\":\"tiny\"," + MSGS + ",\"x\":" + deep + "}");

    assertEquals(400, response.statusCode());
    assertTrue(JSON.readTree(response.body()).at("/error/message").asText().contains("nested deeper than 8"));
  }

  @Test
  void parserLimitsAndSyntaxErrorsAreNamedInTheClientsTermsWithoutJacksonsOwn() throws Exception {
    java.util.Map<String, String> cases = java.util.Map.of(
        "{\"model\":\"tiny\"," + MSGS + ",\"n\":" + "9".repeat(2000) + "}", "has a number longer than 1000 digits",
        "{\"model\":\"tiny\"," + MSGS + ",\"" + "k".repeat(60_000) + "\":1}",
        "has an object key longer than 50000 characters",
        "{\"model\":\"tiny\"," + MSGS + "} {}", "there is more after the JSON value",
        "{\"model\":\"tiny\",\"model\":\"x\"}", "the key 'model' appears twice",
        "{\"model\":\"tiny\",", "the body ends before the JSON value does");
    for (java.util.Map.Entry<String, String> c : cases.entrySet()) {
      HttpResponse<String> response = magi.post("/v1/chat/completions", c.getKey());
      assertEquals(400, response.statusCode(), response.body());
      String message = JSON.readTree(response.body()).at("/error/message").asText();
      assertTrue(message.contains(c.getValue()), message);
      for (String internal : java.util.List.of("`", "jackson", "JsonNode", "DeserializationFeature",
          "StreamReadConstraints", "nested deeper")) {
        assertTrue(!message.contains(internal), "'" + internal + "' in: " + message);
      }
    }
  }

  @Test
  void bodyOverTheLimitIs413WhileReading() throws Exception {
    String big = "{\"model\":\"tiny\"," + MSGS + ",\"pad\":\"" + "x".repeat(70 * 1024) + "\"}";

    HttpResponse<String> declared = magi.post("/v1/chat/completions", big);
    // Chunked, so the size is only known while reading.
    HttpResponse<String> chunked = GatewayFixture.send(HttpRequest.newBuilder(URI.create(magi.url()
        + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofInputStream(
        () -> new java.io.ByteArrayInputStream(big.getBytes()))).build());

    for (HttpResponse<String> response : java.util.List.of(declared, chunked)) {
      assertEquals(413, response.statusCode());
      assertEquals("request_too_large", JSON.readTree(response.body()).at("/error/code").asText());
    }
  }

  @Test
  void unknownRoutesAndMethodsAreOpenAiErrors() throws Exception {
    HttpResponse<String> unknown = magi.get("/v1/nope");
    HttpResponse<String> wrongMethod = magi.get("/v1/chat/completions");

    assertEquals(404, unknown.statusCode());
    assertEquals("unknown_url", JSON.readTree(unknown.body()).at("/error/code").asText());
    assertEquals(405, wrongMethod.statusCode());
    assertEquals("method_not_allowed", JSON.readTree(wrongMethod.body()).at("/error/code").asText());
  }

  @Test
  void unknownModelIs404ModelNotFound() throws Exception {
    HttpResponse<String> chat = magi.post("/v1/chat/completions", "{\"model\":\"gpt-4o-does-not-exist\"," + MSGS + "}");
    HttpResponse<String> model = magi.get("/v1/models/nope");

    for (HttpResponse<String> response : java.util.List.of(chat, model)) {
      assertEquals(404, response.statusCode());
      JsonNode error = JSON.readTree(response.body()).get("error");
      assertEquals("model_not_found", error.get("code").asText());
      assertEquals("invalid_request_error", error.get("type").asText());
    }
  }

  @Test
  void unknownExtraFieldsStillPassThrough() {
    HttpResponse<String> response = magi.post("/v1/chat/completions",
        "{\"model\":\"tiny\"," + MSGS + ",\"cache_prompt\":true,\"min_p\":0.1}");

    assertEquals(200, response.statusCode());
    assertTrue(llama.lastRequest("/v1/chat/completions").body().contains("\"min_p\":0.1"));
  }
}
