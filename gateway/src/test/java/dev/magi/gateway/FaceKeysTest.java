package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * With {@code auth.api_keys} set, every face asks for a key the way its clients send one (Anthropic's
 * {@code x-api-key}, a bearer token for the others), and refuses in its own shape.
 */
class FaceKeysTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void eachFaceTakesItsClientsKeyAndRefusesInItsOwnShape() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
      magi.start("auth:\n  api_keys: [sk-face]\nbackends:\n  - model: tiny\n    url: " + llama.url() + "\n");
      MessageCreateParams hello = MessageCreateParams.builder().model("tiny").maxTokens(2).addUserMessage("Hi").build();

      AnthropicClient right = AnthropicOkHttpClient.builder().baseUrl(magi.url()).apiKey("sk-face").maxRetries(0).build();
      AnthropicClient wrong = AnthropicOkHttpClient.builder().baseUrl(magi.url()).apiKey("sk-wrong").maxRetries(0).build();
      try {
        assertEquals(2, right.messages().create(hello).usage().outputTokens());
        UnauthorizedException refused = assertThrows(UnauthorizedException.class, () -> wrong.messages().create(hello));
        assertEquals("authentication_error", refused.errorType().orElseThrow().asString());
      } finally {
        right.close();
        wrong.close();
      }

      HttpResponse<String> tags = GatewayFixture.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(magi.url() + "/ollama/api/tags")).build());
      assertEquals(401, tags.statusCode());
      JsonNode error = JSON.readTree(tags.body());
      assertTrue(error.get("error").isTextual(), "Ollama's shape: " + tags.body());
      assertEquals(200, GatewayFixture.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(magi.url() + "/ollama/api/tags")).header("Authorization", "Bearer sk-face").build())
          .statusCode());

      HttpResponse<String> responses = magi.post("/v1/responses", "{\"model\":\"tiny\",\"input\":\"Hi\"}");
      assertEquals(401, responses.statusCode());
      assertEquals("missing_api_key", JSON.readTree(responses.body()).at("/error/code").asText(""),
          "OpenAI's shape: " + responses.body());
    }
  }
}
