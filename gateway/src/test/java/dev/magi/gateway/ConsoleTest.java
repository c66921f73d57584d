package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.GgufWriter;
import dev.magi.testkit.RedisProcess;
import dev.magi.testkit.RepositoryFiles;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console at {@code /ui/}, driven in Debian's Chromium by {@code gateway/src/test/node/console-test.mjs}
 * (playwright-core, installed by {@code ./run-tests}): with real model servers (the fake llama-server as a
 * child), a person opens it, sees the models, loads one, watches its log, switches profile, chats and embeds
 * in the playground, finds the request, searches a vector store; with a token, a wrong one is refused; behind
 * the nginx recipe under {@code /magi/}, it loads and works, and a followed log survives the proxy's restart. Screenshots of each page are left in
 * {@code target/console-screenshots/}. Who may load the pages is checked over plain HTTP.
 */
class ConsoleTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SCRIPTS = RepositoryFiles.path("gateway/src/test/node");
  private static final Path SHOTS = RepositoryFiles.path("gateway/target").resolve("console-screenshots");
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @TempDir
  Path dir;

  /** Something the browser script asks the test to do outside the browser. */
  @FunctionalInterface
  private interface Request {
    void run() throws Exception;
  }

  /** Runs a scenario of the browser script; what it saw, once it exited 0. */
  private static JsonNode browse(String scenario, String consoleUrl, String token) throws Exception {
    return browse(scenario, consoleUrl, token, Map.of());
  }

  /**
   * Runs a scenario of the browser script, doing what it asks ({@code requests}, by the line it prints)
   * and answering GO; what it saw, once it exited 0.
   */
  private static JsonNode browse(String scenario, String consoleUrl, String token, Map<String, Request> requests)
      throws Exception {
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
    Path err = Files.createTempFile("console-" + scenario, ".err");
    Process node = new ProcessBuilder(command).directory(SCRIPTS.toFile()).redirectError(err.toFile()).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          lines.add(line);
        }
      } catch (java.io.IOException ended) {
        // The script is gone; its exit code tells.
      }
      lines.add(END);
    }, "console-test-stdout");
    reader.setDaemon(true);
    reader.start();
    try (Writer answers = new OutputStreamWriter(node.getOutputStream(), StandardCharsets.UTF_8)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      String last = null;
      for (String line = lines.poll(180, TimeUnit.SECONDS); line != null && !line.equals(END);
          line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        Request request = requests.get(line);
        if (request != null) {
          request.run();
          answers.write("GO\n");
          answers.flush();
        } else {
          last = line;
        }
      }
      assertTrue(node.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS),
          "the browser script finished");
      String errors = Files.readString(err, StandardCharsets.UTF_8);
      assertEquals(0, node.exitValue(), errors);
      assertNotNull(last, "the script said what it saw");
      JsonNode seen = JSON.readTree(last);
      assertEquals("[]", seen.get("consoleErrors").toString(), "no script error in the page");
      return seen;
    } finally {
      node.descendants().forEach(ProcessHandle::destroyForcibly);
      node.destroyForcibly();
      Files.deleteIfExists(err);
    }
  }

  private static final String END = "\u0000end";

  /** Three GGUF models under {@code dir}, the fake llama-server to run them, two profiles, retrieval on one. */
  private String localModels() throws Exception {
    GgufWriter.chatModel("qwen-tiny", 10).write(dir.resolve("models/qwen-tiny.gguf"));
    GgufWriter.chatModel("llama-small", 10).write(dir.resolve("models/llama-small.gguf"));
    GgufWriter.embeddingModel("embed-tiny").write(dir.resolve("models/embed-tiny.gguf"));
    return ModelsYaml.models(dir, "load_ms=1500", 6, "  defaults:\n    context: 512\n    parallel: 2\n")
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
      assertTrue(seen.get("progress").asText().startsWith("Switching to both"), seen.get("progress").asText());
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
      magi.start(localModels() + "admin:\n  token: proxied-secret\nconsole:\n  capture_bodies: true\n");
      NginxFront[] nginx = {NginxFront.recipe(dir.resolve("nginx"), recipe, magi.gateway().port())};
      try {
        String front = "http://127.0.0.1:" + nginx[0].port + "/magi";
        HttpResponse<String> redirect = get(front + "/ui", Optional.empty());
        assertEquals(301, redirect.statusCode());
        assertEquals("ui/", redirect.headers().firstValue("Location").orElseThrow(), "relative: the base path stays");

        JsonNode seen = browse("proxied", front + "/ui/", "proxied-secret",
            Map.of("RESTART-PROXY", () -> nginx[0] = nginx[0].restarted()));

        assertEquals(front + "/ui/", seen.get("landedOn").asText());
        assertEquals("[\"embed-tiny\",\"llama-small\",\"qwen-tiny\"]", seen.get("overviewModels").toString());
        String log = seen.get("logAfterDrop").asText();
        assertTrue(log.contains("request: POST /v1/completions"), "a line printed after the drop came: " + log);
        assertEquals(1, log.split("starting the main loop", -1).length - 1, "no line twice after the drop: " + log);
        assertTrue(seen.at("/chat/ttft").asText().startsWith("TTFT "), seen.at("/chat/ttft").asText());
        assertTrue(seen.get("requestRow").get(10).asText().startsWith(seen.at("/chat/requestId").asText()),
            seen.get("requestRow").toString());
        assertTrue(seen.get("body").asText().contains("\"content\" : \"Hello through the proxy\""),
            seen.get("body").asText());
      } finally {
        nginx[0].close();
      }
    }
  }

  @Test
  void theClusterPageShowsEveryNodeWithItsModels() throws Exception {
    try (RedisProcess redis = RedisProcess.start(dir.resolve("redis.log"));
        GatewayFixture a = new GatewayFixture(); GatewayFixture b = new GatewayFixture()) {
      FakeLlamaServer alpha = a.llama(new FakeLlamaServer.Options().alias("alpha"));
      FakeLlamaServer beta = b.llama(new FakeLlamaServer.Options().alias("beta"));
      String cluster = "cluster: {redis_url: \"" + redis.url() + "\", node_id: %s, heartbeat: 200ms, ttl: 2s}\n";
      a.start(cluster.formatted("node-a") + Yaml.llama("alpha", alpha.url()));
      b.start(cluster.formatted("node-b") + Yaml.llama("beta", beta.url()));

      JsonNode seen = browse("cluster", a.url() + "/ui/", null);

      assertTrue(seen.get("head").asText().contains("node-a"), seen.get("head").asText());
      assertTrue(seen.get("head").asText().contains("available"), seen.get("head").asText());
      JsonNode nodes = seen.get("nodes");
      assertEquals(2, nodes.size(), nodes.toString());
      assertEquals("node-a self", nodes.get(0).get(0).asText());
      assertEquals("http://127.0.0.1:" + b.gateway().port(), nodes.get(1).get(1).asText());
      assertEquals("loaded beta", nodes.get(1).get(3).asText());
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
