package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.GgufWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local GGUF models end to end: drop a file into the models directory, start it through the admin API,
 * and stream from the new llama-server (the fake executable, a real child process) through {@code /v1}.
 */
class LocalModelsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private String config(String behaviour, int ports, String extra) throws IOException {
    return ModelsYaml.models(dir, behaviour, ports, "  defaults:\n    context: 512\n    parallel: 2\n"
        + "  settings:\n    Qwen2-0.5B-Q4:\n      aliases: [qwen]\n" + extra);
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  @Test
  void dropStartStreamStop() throws Exception {
    GgufWriter.chatModel("Qwen2 0.5B", 100).write(dir.resolve("models/Qwen2-0.5B-Q4.gguf"));
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("load_ms=200", 2, ""));

      JsonNode registry = json(magi.get("/api/models/registry"));
      assertEquals(1, registry.get("total").asInt());
      assertEquals("Qwen2-0.5B-Q4", registry.at("/models/0/id").asText());
      assertEquals("Q4_K_M", registry.at("/models/0/gguf/quantization").asText());
      assertTrue(Files.exists(dir.resolve("data/model_registry.json")));
      JsonNode listed = json(magi.get("/v1/models/qwen"));
      assertEquals("Qwen2-0.5B-Q4", listed.get("id").asText(), "listed by an alias before it runs");
      assertEquals("unloaded", listed.get("status").asText());
      assertEquals(registry.at("/models/0/memory_estimate_bytes").asLong(), listed.get("memory_estimate_bytes").asLong(),
          "one estimate everywhere");

      HttpResponse<String> started = magi.post("/api/models/Qwen2-0.5B-Q4/start", "");
      assertEquals(200, started.statusCode(), started.body());
      assertEquals("ready", json(started).get("status").asText());
      int port = json(started).get("port").asInt();

      HttpResponse<String> stream = magi.post("/v1/chat/completions", "{\"model\":\"qwen\",\"stream\":true,"
          + "\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
      assertEquals(200, stream.statusCode(), stream.body());
      assertTrue(stream.body().contains("\"model\":\"Qwen2-0.5B-Q4\""), "--alias: the server names the model id");
      assertTrue(stream.body().endsWith("data: [DONE]\n\n"));
      assertTrue(magi.get("/v1/models").body().contains("\"id\":\"Qwen2-0.5B-Q4\""));

      JsonNode servers = json(magi.get("/api/models/servers"));
      assertEquals(1, servers.get("total").asInt());
      JsonNode server = servers.at("/servers/0");
      assertEquals("ready", server.get("status").asText());
      assertEquals("http://127.0.0.1:" + port, server.get("url").asText());
      long pid = server.get("pid").asLong();
      assertTrue(ProcessHandle.of(pid).isPresent());
      assertTrue(json(magi.get("/api/models/Qwen2-0.5B-Q4/logs?lines=3")).get("lines").size() <= 3);

      HttpResponse<String> stopped = magi.post("/api/models/qwen/stop", "");
      assertEquals("stopped", json(stopped).get("status").asText());
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
      assertTrue(magi.gateway().directory().routes().resolve("qwen").isEmpty(), "a stopped model is out of the router");
      assertEquals("unloaded", json(magi.get("/v1/models/qwen")).get("status").asText());
      HttpResponse<String> again = magi.post("/v1/chat/completions", "{\"model\":\"qwen\",\"max_tokens\":4,"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
      assertEquals(200, again.statusCode(), "a model stopped by hand loads again on request: " + again.body());
      assertEquals("loaded", json(magi.get("/v1/models/qwen")).get("status").asText());
    }
  }

  @Test
  void stoppingWaitsForTheStreamInFlight() throws Exception {
    GgufWriter.chatModel("q", 10).write(dir.resolve("models/Qwen2-0.5B-Q4.gguf"));
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("token_ms=25", 2, ""));
      assertEquals(200, magi.post("/api/models/qwen/start", "").statusCode());
      HttpClient http = HttpClient.newHttpClient();

      CompletableFuture<HttpResponse<String>> stream = http.sendAsync(HttpRequest.newBuilder(
          URI.create(magi.url() + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(
          "{\"model\":\"qwen\",\"stream\":true,\"max_tokens\":40,\"messages\":[{\"role\":\"user\",\"content\":"
              + "\"Hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (magi.gateway().directory().routes().resolve("qwen").orElseThrow().backends().get(0).inFlight() == 0) {
        assertTrue(System.nanoTime() < deadline, "the stream did not start");
        Thread.sleep(5);
      }
      HttpResponse<String> stopped = magi.post("/api/models/qwen/stop", "");

      assertEquals(200, stopped.statusCode());
      assertTrue(stream.isDone(), "the stop returned only after the stream had finished");
      HttpResponse<String> finished = stream.get(5, TimeUnit.SECONDS);
      assertTrue(finished.body().endsWith("data: [DONE]\n\n"), finished.body());
    }
  }

  @Test
  void failuresAreClearStatesAndMessages() throws Exception {
    GgufWriter.chatModel("q", 10).write(dir.resolve("models/Qwen2-0.5B-Q4.gguf"));
    GgufWriter.chatModel("r", 10).write(dir.resolve("models/other.gguf"));
    Files.writeString(dir.resolve("models/broken.gguf"), "not a model");
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("", 1, "").replaceAll("llama_server: .*", "llama_server: " + dir.resolve("no-such-binary")));

      HttpResponse<String> missing = magi.post("/api/models/qwen/start", "");
      assertEquals(500, missing.statusCode());
      assertEquals("binary_not_found", json(missing).at("/error/code").asText());
      assertTrue(json(missing).at("/error/message").asText().contains("set LLAMA_SERVER_PATH"));
      assertEquals("failed", json(magi.get("/api/models/servers")).at("/servers/0/status").asText());

      HttpResponse<String> invalid = magi.post("/api/models/broken/start", "");
      assertEquals(409, invalid.statusCode());
      assertTrue(json(invalid).at("/error/message").asText().contains("not a GGUF file"));

      HttpResponse<String> unknown = magi.post("/api/models/nope/start", "");
      assertEquals(404, unknown.statusCode());
      assertEquals("model_not_found", json(unknown).at("/error/code").asText());

      HttpResponse<String> badLines = magi.get("/api/models/qwen/logs?lines=100000");
      assertEquals(400, badLines.statusCode());
      assertEquals("lines", json(badLines).at("/error/param").asText());
    }
  }

  @Test
  void anExhaustedPortRangeIsA503() throws Exception {
    GgufWriter.chatModel("q", 10).write(dir.resolve("models/Qwen2-0.5B-Q4.gguf"));
    GgufWriter.chatModel("r", 10).write(dir.resolve("models/other.gguf"));
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("", 1, ""));

      HttpResponse<String> all = magi.post("/api/models/start", "");

      JsonNode body = json(all);
      assertEquals(1, body.get("started").size());
      assertEquals(1, body.get("failed").size());
      assertTrue(body.at("/failed/0/error").asText().startsWith("no port available in"), body.toString());
      HttpResponse<String> again = magi.post("/api/models/" + body.at("/failed/0/name").asText() + "/start", "");
      assertEquals(503, again.statusCode());
      assertEquals("no_port_available", json(again).at("/error/code").asText());

      JsonNode stopped = json(magi.post("/api/models/stop", ""));
      assertEquals(1, stopped.get("stopped").size());
    }
  }

  @Test
  void rescanFindsNewFiles() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("", 1, ""));
      assertEquals(0, json(magi.get("/api/models/registry")).get("total").asInt());
      GgufWriter.embeddingModel("e").write(dir.resolve("models/nomic-embed.gguf"));

      JsonNode rescanned = json(magi.post("/api/models/registry/rescan", ""));

      assertEquals(1, rescanned.get("total").asInt());
      assertEquals("embedding", rescanned.at("/models/0/kind").asText());
    }
  }

  @Test
  void adminApiNeedsTheTokenWhenOneIsSet() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("", 1, ""), Map.of("MAGI_ADMIN_TOKEN", "s3cret"));

      assertEquals(401, magi.get("/api/models/servers").statusCode());
      HttpResponse<String> with = GatewayFixture.send(HttpRequest.newBuilder(URI.create(magi.url()
          + "/api/models/servers")).header("Authorization", "Bearer s3cret").GET().build());
      assertEquals(200, with.statusCode());
    }
  }

  @Test
  void withoutATokenProxiedRequestsAreRefused() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("", 1, ""));

      assertEquals(200, magi.get("/api/models/servers").statusCode(), "loopback clients are trusted");
      HttpResponse<String> proxied = GatewayFixture.send(HttpRequest.newBuilder(URI.create(magi.url()
          + "/api/models/servers")).header("X-Forwarded-For", "203.0.113.9").GET().build());
      assertEquals(403, proxied.statusCode());
      assertEquals("admin_forbidden", json(proxied).at("/error/code").asText());
    }
  }
}
