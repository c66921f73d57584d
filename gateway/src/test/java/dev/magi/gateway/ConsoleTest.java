package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.GgufWriter;
import dev.magi.testkit.RepositoryFiles;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console at {@code /ui/}, driven in Debian's Chromium by {@code gateway/src/test/node/console-test.mjs}
 * (playwright-core, installed by {@code ./run-tests}): with real model servers (the fake llama-server as a
 * child), a person opens it, sees the models, loads one, watches its log, switches profile, chats and embeds
 * in the playground, finds the request, searches a vector store; with a token, a wrong one is refused; behind
 * the nginx recipe under {@code /magi/}, it loads and works. Screenshots of each page are left in
 * {@code target/console-screenshots/}. Who may load the pages is checked over plain HTTP.
 */
class ConsoleTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SCRIPTS = RepositoryFiles.path("gateway/src/test/node");
  private static final Path SHOTS = RepositoryFiles.path("gateway/target").resolve("console-screenshots");
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @TempDir
  Path dir;

  /** Runs a scenario of the browser script; what it saw, once it exited 0. */
  private static JsonNode browse(String scenario, String consoleUrl, String token) throws Exception {
    if (!Files.isDirectory(SCRIPTS.resolve("node_modules/playwright-core"))) {
      throw new IllegalStateException("playwright-core is not installed (./run-tests runs npm ci in " + SCRIPTS + ")");
    }
    if (!Files.isExecutable(Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium")))) {
      throw new IllegalStateException("Chromium is not installed (./run-tests installs Debian's chromium)");
    }
    List<String> command = new java.util.ArrayList<>(List.of("node", "console-test.mjs", scenario, consoleUrl,
        SHOTS.resolve(scenario).toString()));
    if (token != null) {
      command.add(token);
    }
    Path out = Files.createTempFile("console-" + scenario, ".json");
    Path err = Files.createTempFile("console-" + scenario, ".err");
    Process node = new ProcessBuilder(command).directory(SCRIPTS.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile()).start();
    try {
      assertTrue(node.waitFor(180, TimeUnit.SECONDS), "the browser script finished");
      String errors = Files.readString(err, StandardCharsets.UTF_8);
      assertEquals(0, node.exitValue(), errors);
      JsonNode seen = JSON.readTree(Files.readString(out, StandardCharsets.UTF_8));
      assertEquals("[]", seen.get("consoleErrors").toString(), "no script error in the page");
      return seen;
    } finally {
      node.descendants().forEach(ProcessHandle::destroyForcibly);
      node.destroyForcibly();
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** Three GGUF models under {@code dir}, the fake llama-server to run them, two profiles, retrieval on one. */
  private String localModels() throws Exception {
    GgufWriter.chatModel("qwen-tiny", 10).write(dir.resolve("models/qwen-tiny.gguf"));
    GgufWriter.chatModel("llama-small", 10).write(dir.resolve("models/llama-small.gguf"));
    GgufWriter.embeddingModel("embed-tiny").write(dir.resolve("models/embed-tiny.gguf"));
    return ModelsYaml.models(dir, "load_ms=600", 6, "  defaults:\n    context: 512\n    parallel: 2\n")
        + "profiles:\n  small:\n    models:\n      - model: qwen-tiny\n"
        + "  both:\n    description: chat and embeddings\n    models:\n      - model: qwen-tiny\n"
        + "      - model: embed-tiny\n"
        + "retrieval:\n  embedding_model: embed-tiny\n";
  }

  @Test
  void aPersonLoadsAModelWatchesItsLogSwitchesProfileChatsAndFindsTheRequest() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(localModels());
      JsonNode seen = browse("tour", magi.url() + "/ui/", null);

      assertEquals("[\"embed-tiny\",\"llama-small\",\"qwen-tiny\"]", seen.get("overviewModels").toString());
      assertTrue(seen.get("loaded").asBoolean(), "the model loaded with a click");
      assertFalse(seen.get("logBefore").asText().contains("log_server_r"), seen.get("logBefore").asText());
      assertTrue(seen.get("logAfter").asText().contains("request: POST /v1/chat/completions 127.0.0.1 200"),
          "a line printed after the log was opened arrived: " + seen.get("logAfter").asText());
      assertEquals("ready", seen.get("profileResult").asText(), seen.get("profileText").asText());
      assertTrue(seen.get("profileText").asText().contains("Started: qwen-tiny, embed-tiny"),
          seen.get("profileText").asText());
      assertTrue(seen.get("profileText").asText().contains("stopped: llama-small"), seen.get("profileText").asText());

      String tokens = String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS);
      String answer = seen.at("/chat/answer").asText();
      assertFalse(answer.isEmpty());
      assertTrue(tokens.startsWith(answer), "the streamed answer is the model's: " + answer);
      assertTrue(seen.at("/chat/ttft").asText().matches("TTFT [0-9.]+ m?s"), seen.at("/chat/ttft").asText());
      String requestId = seen.at("/chat/requestId").asText();
      assertTrue(requestId.startsWith("req_"), requestId);
      assertEquals("64 dimensions", seen.get("embedding").asText());

      JsonNode row = seen.get("requestRow");
      assertEquals("qwen-tiny", row.get(1).asText());
      assertEquals("/v1/chat/completions", row.get(2).asText());
      assertEquals("200", row.get(3).asText());
      assertEquals(requestId, row.get(row.size() - 1).asText());

      assertEquals(2, seen.get("hits").size(), seen.get("hits").toString());
      assertTrue(seen.get("hits").get(0).asText().contains("tea"), "the closest chunk first: " + seen.get("hits"));
      assertTrue(seen.get("cluster").asText().contains("alone"), seen.get("cluster").asText());
      assertTrue(seen.get("overviewCard").asText().contains("1/1 backends healthy"), seen.get("overviewCard").asText());
      for (String page : List.of("overview", "models", "log", "profiles", "playground", "requests", "stores",
          "cluster")) {
        assertTrue(Files.size(SHOTS.resolve("tour").resolve(page + ".png")) > 1000, "a screenshot of " + page);
      }
    }
  }

  @Test
  void withATokenTheConsoleAsksForItAndAWrongOneIsRefused() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(localModels() + "admin:\n  token: console-secret\n");
      assertEquals(200, get(magi.url() + "/ui/", Optional.empty()).statusCode(), "the login page is public");
      assertEquals(401, get(magi.url() + "/api/models/registry", Optional.empty()).statusCode());

      JsonNode seen = browse("login", magi.url() + "/ui/", "console-secret");

      assertEquals("That token was refused.", seen.get("wrongToken").asText());
      assertEquals("[\"embed-tiny\",\"llama-small\",\"qwen-tiny\"]", seen.get("overviewModels").toString());
      assertTrue(seen.get("loginHidden").asBoolean());
    }
  }

  @Test
  void behindTheNginxRecipeUnderABasePathTheConsoleLoadsAndWorks() throws Exception {
    String recipe = Files.readString(RepositoryFiles.path("docker/proxy/nginx.conf"));
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
      magi.start(Yaml.llama("tiny", llama.url()) + "admin:\n  token: proxied-secret\n");
      try (NginxFront nginx = NginxFront.recipe(dir.resolve("nginx"), recipe, magi.gateway().port())) {
        String front = "http://127.0.0.1:" + nginx.port + "/magi";
        HttpResponse<String> redirect = get(front + "/ui", Optional.empty());
        assertEquals(301, redirect.statusCode());
        assertEquals("ui/", redirect.headers().firstValue("Location").orElseThrow(), "relative: the base path stays");

        JsonNode seen = browse("proxied", front + "/ui/", "proxied-secret");

        assertEquals(front + "/ui/", seen.get("landedOn").asText());
        assertEquals("[\"tiny\"]", seen.get("overviewModels").toString());
        assertTrue(seen.at("/chat/ttft").asText().startsWith("TTFT "), seen.at("/chat/ttft").asText());
        assertEquals(seen.at("/chat/requestId").asText(), seen.get("requestRow").get(10).asText());
      }
    }
  }

  @Test
  void withoutATokenOnlyThisMachineGetsTheConsole() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("server:\n  host: 0.0.0.0\n");
      HttpResponse<String> page = get(magi.url() + "/ui/", Optional.empty());
      assertEquals(200, page.statusCode());
      assertTrue(page.body().contains("<script type=\"module\" src=\"js/app.js\"></script>"), "links are relative");
      assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().contains("frame-ancestors 'none'"));
      assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElseThrow());
      String etag = page.headers().firstValue("ETag").orElseThrow();
      assertEquals(304, HTTP.send(HttpRequest.newBuilder(URI.create(magi.url() + "/ui/")).header("If-None-Match", etag)
          .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals("text/javascript; charset=utf-8", get(magi.url() + "/ui/js/app.js", Optional.empty()).headers()
          .firstValue("Content-Type").orElseThrow());
      assertEquals(404, get(magi.url() + "/ui/nothing.js", Optional.empty()).statusCode());

      HttpResponse<String> proxied = get(magi.url() + "/ui/", Optional.of("203.0.113.9"));
      assertEquals(403, proxied.statusCode());
      assertEquals("admin_forbidden", JSON.readTree(proxied.body()).at("/error/code").asText());
      InetAddress remote = nonLoopbackAddress();
      if (remote != null) {
        String elsewhere = "http://" + remote.getHostAddress() + ":" + magi.gateway().port();
        assertEquals(403, get(elsewhere + "/ui/", Optional.empty()).statusCode(), "from " + remote);
        assertEquals(403, get(elsewhere + "/api/models/registry", Optional.empty()).statusCode());
      }
    }
  }

  @Test
  void theConsoleCanBeTurnedOff() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("console:\n  enabled: false\n");
      assertEquals(404, get(magi.url() + "/ui/", Optional.empty()).statusCode());
      assertEquals(200, get(magi.url() + "/api/requests", Optional.empty()).statusCode(), "the admin API stays");
    }
  }

  private static HttpResponse<String> get(String url, Optional<String> forwardedFor) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
    forwardedFor.ifPresent(address -> request.header("X-Forwarded-For", address));
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** An IPv4 address of this machine that is not loopback, or null when it has none. */
  private static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (network.isUp() && !network.isLoopback()) {
        for (InetAddress address : Collections.list(network.getInetAddresses())) {
          if (address instanceof Inet4Address) {
            return address;
          }
        }
      }
    }
    return null;
  }
}
