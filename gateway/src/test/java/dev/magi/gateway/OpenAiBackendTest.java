package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Backends of type {@code openai} and upstream credentials. */
class OpenAiBackendTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void base64IsEncodedByTheGatewayWhenTheBackendOnlySendsFloats() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer server = magi.llama(new FakeLlamaServer.Options().embeddings(true).base64Embeddings(false));
      magi.start("backends:\n  - model: embed\n    url: " + server.url() + "/v1\n    type: openai\n"
          + "    upstream_model: text-embedding-local\n");

      JsonNode floats = JSON.readTree(magi.post("/v1/embeddings",
          "{\"model\":\"embed\",\"input\":\"hello\"}").body());
      JsonNode base64 = JSON.readTree(magi.post("/v1/embeddings",
          "{\"model\":\"embed\",\"input\":\"hello\",\"encoding_format\":\"base64\"}").body());

      ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(base64.at("/data/0/embedding").asText()))
          .order(ByteOrder.LITTLE_ENDIAN);
      JsonNode vector = floats.at("/data/0/embedding");
      assertEquals(vector.size() * 4, bytes.remaining());
      for (JsonNode value : vector) {
        assertEquals((float) value.asDouble(), bytes.getFloat());
      }
      assertEquals("text-embedding-local", server.lastRequest("/v1/embeddings").json().get("model").asText(),
          "the backend gets the name it knows the model by");
    }
  }

  @Test
  void configuredApiKeyIsSentUpstreamAndAWrongOneIsTheGatewaysFault() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer server = magi.llama(new FakeLlamaServer.Options().apiKey("sk-test-123"));
      magi.start("backends:\n"
          + "  - model: right\n    url: " + server.url() + "\n    api_key: sk-test-123\n"
          + "  - model: wrong\n    url: " + server.url() + "\n    api_key: sk-nope\n");
      String body = ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}";

      HttpResponse<String> right = magi.post("/v1/chat/completions", "{\"model\":\"right\"" + body);
      assertEquals(200, right.statusCode(), right.body());
      assertEquals("Bearer sk-test-123", server.lastRequest("/v1/chat/completions").headers().get("Authorization"));

      HttpResponse<String> wrong = magi.post("/v1/chat/completions", "{\"model\":\"wrong\"" + body);
      assertEquals(502, wrong.statusCode(), "the client's request was fine; the gateway's key was not");
      assertTrue(wrong.body().contains("\"code\":\"backend_auth_failed\""), wrong.body());
    }
  }

  @Test
  void clientCredentialsAreNeverForwardedUpstream() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer server = magi.llama(new FakeLlamaServer.Options());
      magi.start("auth:\n  api_keys: [sk-client]\n" + Yaml.llama("tiny", server.url()));

      GatewayFixture.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(magi.url()
          + "/v1/chat/completions")).header("Authorization", "Bearer sk-client").POST(java.net.http.HttpRequest
          .BodyPublishers.ofString("{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"))
          .build());

      assertEquals(null, server.lastRequest("/v1/chat/completions").headers().get("Authorization"));
    }
  }
}
