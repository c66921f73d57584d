package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.Await;
import dev.magi.testkit.GgufWriter;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ollama's {@code keep_alive} on a local model: {@code 0} unloads it once its request is done, a
 * negative one keeps it however long it idles, and an empty prompt with {@code keep_alive: 0} is
 * Ollama's way of saying "unload".
 */
class OllamaKeepAliveTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private static String status(GatewayFixture magi, String model) {
    try {
      return JSON.readTree(magi.get("/v1/models/" + model).body()).get("status").asText();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void keepAliveZeroUnloadsTheModelAfterItsRequest() throws Exception {
    GgufWriter.chatModel("model-a", 10).write(dir.resolve("models/model-a.gguf"));
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(ModelsYaml.models(dir, "", 4, "  defaults:\n    context: 512\n    parallel: 1\n"));

      HttpResponse<String> kept = magi.post("/ollama/api/generate", "{\"model\":\"model-a\",\"prompt\":\"Hi\","
          + "\"stream\":false,\"options\":{\"num_predict\":2},\"keep_alive\":-1}");
      assertEquals(200, kept.statusCode(), kept.body());
      assertEquals("loaded", status(magi, "model-a"), "loaded by its request, and kept");
      assertTrue(magi.get("/ollama/api/ps").body().contains("\"expires_at\":\"2318-"), "kept: expires far ahead");
      assertEquals(200, magi.post("/ollama/api/generate", "{\"model\":\"model-a\",\"prompt\":\"Hi\",\"stream\":false,"
          + "\"options\":{\"num_predict\":1},\"keep_alive\":\"1h\"}").statusCode());
      java.time.Instant expires = java.time.Instant.parse(JSON.readTree(magi.get("/ollama/api/ps").body())
          .at("/models/0/expires_at").asText());
      assertTrue(expires.isAfter(java.time.Instant.now().plusSeconds(3500)) && expires.isBefore(
          java.time.Instant.now().plusSeconds(3700)), "an hour after its last request: " + expires);

      HttpResponse<String> answered = magi.post("/ollama/api/chat", "{\"model\":\"model-a:latest\",\"stream\":false,"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"options\":{\"num_predict\":2},\"keep_alive\":0}");
      assertEquals(200, answered.statusCode(), answered.body());
      JsonNode line = JSON.readTree(answered.body());
      assertEquals("model-a", line.get("model").asText(), ":latest is the model Magi knows without it");
      Await.until(() -> status(magi, "model-a").equals("unloaded"), "model-a unloaded after its request");

      HttpResponse<String> unload = magi.post("/ollama/api/generate", "{\"model\":\"model-a\",\"keep_alive\":0}");
      assertEquals("unload", JSON.readTree(unload.body()).get("done_reason").asText());
    }
  }
}
