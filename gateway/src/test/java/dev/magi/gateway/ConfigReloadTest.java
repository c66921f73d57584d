package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
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

/** The configuration file is read again while Magi runs: by the admin API, by SIGHUP, by watching it. */
class ConfigReloadTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path dir;

  private static String backend(String model, FakeLlamaServer server, String more) {
    return "  - model: " + model + "\n    url: " + server.url() + "\n    type: llama-server\n" + more;
  }

  private static String chat(String model, boolean stream, int tokens) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"max_tokens\":" + tokens
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  }

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("magi.yaml");
    Path temp = dir.resolve("magi.yaml.tmp");
    Files.writeString(temp, yaml);
    Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return file;
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  @Test
  void reloadAddsAndRemovesBackendsWhileAStreamToAThirdRunsToItsEnd() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer kept = magi.llama(new FakeLlamaServer.Options().tokenDelayMillis(50));
      FakeLlamaServer removed = magi.llama(new FakeLlamaServer.Options());
      FakeLlamaServer added = magi.llama(new FakeLlamaServer.Options());
      Path file = write("backends:\n" + backend("kept", kept, "") + backend("removed", removed, ""));
      magi.startFromFile(file);

      CompletableFuture<HttpResponse<String>> stream = HTTP.sendAsync(HttpRequest.newBuilder(
          URI.create(magi.url() + "/v1/chat/completions")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(chat("kept", true, 40))).build(),
          HttpResponse.BodyHandlers.ofString());
      Await.until(() -> kept.busySlots() == 1, "the stream to start");
      write("backends:\n" + backend("kept", kept, "    aliases: [kept-alias]\n") + backend("added", added, "")
          + "router:\n  policy: round_robin\n");

      HttpResponse<String> reloaded = magi.post("/api/config/reload", "");

      assertEquals(200, reloaded.statusCode(), reloaded.body());
      String applied = json(reloaded).get("applied").toString();
      assertTrue(applied.contains("added added") && applied.contains("removed removed"), applied);
      assertTrue(applied.contains("router"), applied);
      assertEquals(0, json(reloaded).get("restart_required").size(), reloaded.body());
      assertEquals(200, magi.post("/v1/chat/completions", chat("added", false, 2)).statusCode());
      assertEquals(200, magi.post("/v1/chat/completions", chat("kept-alias", false, 2)).statusCode());
      assertEquals(404, magi.post("/v1/chat/completions", chat("removed", false, 2)).statusCode());
      assertTrue(magi.get("/api/router").body().contains("round_robin"));
      HttpResponse<String> streamed = stream.get(60, TimeUnit.SECONDS);
      assertEquals(200, streamed.statusCode());
      assertTrue(streamed.body().endsWith("data: [DONE]\n\n"), "the stream in flight was not touched");
    }
  }

  @Test
  void anInvalidFileChangesNothingAndSaysWhereItIsWrong() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer server = magi.llama(new FakeLlamaServer.Options());
      Path file = write("auth:\n  api_keys: [old-key]\nbackends:\n" + backend("tiny", server, ""));
      magi.startFromFile(file);
      write("auth:\n  api_keys: [new-key]\nbackends:\n" + backend("tiny", server, "")
          + "  - model: other\n    url: ftp://127.0.0.1:1\n");

      HttpResponse<String> refused = magi.post("/api/config/reload", "");

      assertEquals(400, refused.statusCode());
      assertEquals("invalid_configuration", json(refused).at("/error/code").asText());
      assertTrue(json(refused).at("/error/message").asText().contains("backends[1].url"), refused.body());
      HttpResponse<String> stillOld = magi.post("/v1/chat/completions", chat("tiny", false, 2), "old-key");
      assertEquals(200, stillOld.statusCode(), "the running configuration stays");
    }
  }

  @Test
  void keysAndLimitsChangeAtOnceAndAWatchedFileIsPickedUpByItself() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer server = magi.llama(new FakeLlamaServer.Options());
      Path file = write("config:\n  watch: true\nbackends:\n" + backend("tiny", server, ""));
      magi.startFromFile(file);
      assertEquals(200, magi.post("/v1/chat/completions", chat("tiny", false, 2)).statusCode());

      write("config:\n  watch: true\nauth:\n  api_keys: [k1]\nlimits:\n  max_tokens: 8\nbackends:\n"
          + backend("tiny", server, ""));

      Await.until(() -> magi.post("/v1/chat/completions", chat("tiny", false, 2)).statusCode() == 401,
          "the watched file's new API key to be required");
      HttpResponse<String> tooMany = magi.post("/v1/chat/completions", chat("tiny", false, 9), "k1");
      assertEquals(400, tooMany.statusCode(), "the new max_tokens limit: " + tooMany.body());
    }
  }

  @Test
  void sighupReloadsARunningMagi() throws Exception {
    try (GatewayFixture fakes = new GatewayFixture()) {
      FakeLlamaServer first = fakes.llama(new FakeLlamaServer.Options());
      FakeLlamaServer second = fakes.llama(new FakeLlamaServer.Options());
      Path file = write("server:\n  port: 0\nmodels:\n  data: " + dir.resolve("data") + "\nbackends:\n"
          + backend("first", first, ""));
      try (MagiProcess magi = MagiProcess.start(dir, Map.of(), "serve", "--config", file.toString())) {
        String url = magi.url();
        write("server:\n  port: 0\nmodels:\n  data: " + dir.resolve("data") + "\nbackends:\n"
            + backend("first", first, "") + backend("second", second, ""));

        magi.signal("HUP");

        try {
          Await.until(() -> GatewayFixture.send(HttpRequest.newBuilder(URI.create(url + "/v1/models/second")).build())
              .statusCode() == 200, "SIGHUP to add the second backend");
        } catch (AssertionError e) {
          throw new AssertionError(e.getMessage() + "; Magi's output:\n" + magi.output(), e);
        }
        Await.until(() -> magi.output().contains("configuration reloaded (SIGHUP): applied: backends (added second)"),
            "the log to say what changed");
      }
    }
  }

  @Test
  void aMagiThatCannotHearSighupSaysHowElseToReload() throws Exception {
    Path file = write("server:\n  port: 0\nmodels:\n  data: " + dir.resolve("data") + "\n");
    try (MagiProcess magi = MagiProcess.startIgnoringHangups(dir, Map.of(), "serve", "--config", file.toString())) {
      magi.url();
      assertTrue(magi.output().contains("SIGHUP is ignored by this process"), magi.output());
      assertTrue(magi.output().contains("POST /api/config/reload"), magi.output());
    }
  }

  @Test
  void aNewMetricsTokenIsRequiredFromTheReloadOn() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.startFromFile(write("metrics: {path: /metrics}\n"));
      assertEquals(200, magi.get("/metrics").statusCode());
      write("metrics: {path: /metrics, token: scraper-secret}\n");
      HttpResponse<String> reloaded = magi.post("/api/config/reload", "");
      assertEquals(200, reloaded.statusCode(), reloaded.body());
      assertTrue(json(reloaded).get("applied").toString().contains("metrics"), reloaded.body());
      assertEquals(401, magi.get("/metrics").statusCode());
      assertEquals(200, GatewayFixture.send(HttpRequest.newBuilder(URI.create(magi.url() + "/metrics"))
          .header("Authorization", "Bearer scraper-secret").build()).statusCode());
      write("metrics: {path: /prometheus}\n");
      HttpResponse<String> moved = magi.post("/api/config/reload", "");
      assertTrue(json(moved).get("restart_required").toString().contains("metrics"), moved.body());
    }
  }
}
