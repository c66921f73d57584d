package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.RecordedRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /metrics} after real traffic through a running gateway: counts, first-token times and
 * token totals against what the fake llama-server sent, bounded labels, who may scrape, and the text
 * as Prometheus's own {@code promtool} reads it.
 */
class MetricsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHAT = "/v1/chat/completions";

  private static String chat(String model, boolean stream, String extra) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":5"
        + (stream ? ",\"stream\":true" : "") + extra + "}";
  }

  @Test
  void afterTrafficTheSeriesCountWhatTheBackendDid() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny").slots(3));
      magi.start(Yaml.llama("tiny", llama.url()));

      long completion = 0;
      long prompt = 0;
      for (int i = 0; i < 2; i++) {
        JsonNode usage = JSON.readTree(magi.post(CHAT, chat("tiny", false, "")).body()).path("usage");
        completion += usage.path("completion_tokens").asLong();
        prompt += usage.path("prompt_tokens").asLong();
      }
      // A stream without usage (counted from llama-server's timings) and one that asked for it.
      String plain = magi.post(CHAT, chat("tiny", true, "")).body();
      assertFalse(plain.contains("\"usage\":{"), plain);
      String withUsage = magi.post(CHAT, chat("tiny", true, ",\"stream_options\":{\"include_usage\":true}")).body();
      JsonNode usageChunk = lastChunkWithUsage(withUsage);
      completion += usageChunk.path("completion_tokens").asLong() * 2;
      prompt += usageChunk.path("prompt_tokens").asLong() * 2;
      assertEquals(404, magi.post(CHAT, chat("no-such-model", false, "")).statusCode());

      String text = scrape(magi);
      Map<String, String> tiny200 = Map.of("model", "tiny", "endpoint", CHAT, "status", "200", "backend", llama.url());
      assertEquals(4, value(text, "magi_requests_total", tiny200), text);
      assertEquals(1, value(text, "magi_requests_total", Map.of("model", "unknown", "status", "404", "backend", "none")));
      assertEquals(4, value(text, "magi_time_to_first_token_seconds_count", Map.of("model", "tiny")));
      assertEquals(4, value(text, "magi_request_duration_seconds_count", Map.of("model", "tiny", "endpoint", CHAT)));
      assertEquals(2, value(text, "magi_inter_token_latency_seconds_count", Map.of("model", "tiny")));
      assertEquals(4, value(text, "magi_tokens_per_second_count", Map.of("model", "tiny")));
      assertEquals(completion, value(text, "magi_tokens_total", Map.of("model", "tiny", "kind", "completion")));
      assertEquals(prompt, value(text, "magi_tokens_total", Map.of("model", "tiny", "kind", "prompt")));
      assertEquals(4, value(text, "magi_gateway_overhead_seconds_count", Map.of("endpoint", CHAT)));
      assertEquals(4, value(text, "magi_queue_wait_seconds_count", Map.of("model", "tiny")));
      assertEquals(0, value(text, "magi_queue_depth", Map.of("model", "tiny")));
      Map<String, String> backend = Map.of("model", "tiny", "backend", llama.url());
      assertEquals(1, value(text, "magi_backend_healthy", backend));
      assertEquals(3, value(text, "magi_backend_slots", backend), "the fake's /props total_slots");
      assertEquals(0, value(text, "magi_backend_in_flight", backend));
      assertEquals(0, value(text, "magi_backend_ejections_total", backend));
      assertTrue(value(text, "magi_http_connections", Map.of()) >= 1);
      assertTrue(value(text, "jvm_threads_live_threads", Map.of()) > 0);
      assertTrue(value(text, "process_cpu_seconds_total", Map.of()) > 0);
      assertTrue(value(text, "magi_time_to_first_token_seconds_sum", Map.of("model", "tiny")) > 0);
      promtoolAccepts(text);
    }
  }

  @Test
  void anOpenAiBackendIsAskedForUsageWhereTheClientWasNotAndItsChunkKeptFromTheClient() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer server = magi.llama(new FakeLlamaServer.Options().alias("remote"));
      magi.start("backends:\n  - model: remote\n    url: " + server.url() + "\n    type: openai\n");

      String plain = magi.post(CHAT, chat("remote", true, "")).body();
      assertEquals(true, llama(server).path("stream_options").path("include_usage").asBoolean(),
          "Magi asked for the usage chunk");
      assertFalse(plain.contains("\"choices\":[],"), "the client, which did not ask, does not get it: " + plain);
      assertTrue(plain.endsWith("data: [DONE]\n\n"), plain);
      String asked = magi.post(CHAT, chat("remote", true, ",\"stream_options\":{\"include_usage\":true}")).body();
      JsonNode usage = lastChunkWithUsage(asked);

      // Options of the client's own are kept, with include_usage added.
      String withOptions = magi.post(CHAT, chat("remote", true, ",\"stream_options\":{\"include_usage\":false}")).body();
      assertEquals(true, llama(server).path("stream_options").path("include_usage").asBoolean());
      assertFalse(withOptions.contains("\"choices\":[],"), withOptions);

      String text = scrape(magi);
      assertEquals(usage.path("completion_tokens").asLong() * 3,
          value(text, "magi_tokens_total", Map.of("model", "remote", "kind", "completion")));
      assertEquals(3, value(text, "magi_inter_token_latency_seconds_count", Map.of("model", "remote")));
    }
  }

  private static JsonNode llama(FakeLlamaServer server) {
    return server.lastRequest(CHAT).json();
  }

  @Test
  void tenThousandUnknownModelNamesAddNoSeries() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
      magi.start("server: {access_log_every: 0}\n" + Yaml.llama("tiny", llama.url()));
      assertEquals(404, magi.post(CHAT, chat("unknown-0", false, "")).statusCode());
      int before = seriesCount(scrape(magi));

      HttpClient client = HttpClient.newHttpClient();
      List<CompletableFuture<HttpResponse<Void>>> batch = new ArrayList<>();
      int notFound = 0;
      for (int i = 1; i <= 10_000; i++) {
        batch.add(client.sendAsync(HttpRequest.newBuilder(URI.create(magi.url() + CHAT))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(chat("unknown-" + i, false, ""))).build(),
            HttpResponse.BodyHandlers.discarding()));
        if (batch.size() == 64 || i == 10_000) {
          for (CompletableFuture<HttpResponse<Void>> sent : batch) {
            notFound += sent.get(60, TimeUnit.SECONDS).statusCode() == 404 ? 1 : 0;
          }
          batch.clear();
        }
      }
      assertEquals(10_000, notFound);

      String text = scrape(magi);
      assertEquals(before, seriesCount(text), "series after 10,000 unknown names");
      assertEquals(10_001, value(text, "magi_requests_total", Map.of("model", "unknown", "status", "404")));
    }
  }

  @Test
  void theRequestIdAndTraceContextGoFromTheClientToTheBackend() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
      magi.start(Yaml.llama("tiny", llama.url()));
      String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      String parent = "00-" + traceId + "-00f067aa0ba902b7-01";
      HttpResponse<String> traced = GatewayFixture.send(HttpRequest.newBuilder(URI.create(magi.url() + CHAT))
          .header("Content-Type", "application/json").header("X-Request-Id", "client-id:42")
          .header("traceparent", parent).header("tracestate", "congo=t61rcWkgMzE")
          .POST(HttpRequest.BodyPublishers.ofString(chat("tiny", false, ""))).build());
      assertEquals(200, traced.statusCode());
      assertEquals("client-id:42", traced.headers().firstValue("x-request-id").orElseThrow());
      RecordedRequest upstream = llama.lastRequest(CHAT);
      assertEquals("client-id:42", upstream.headers().get("X-Request-Id"));
      String hop = upstream.headers().get("traceparent");
      assertTrue(hop.matches("00-" + traceId + "-[0-9a-f]{16}-01"), hop);
      assertNotEquals(parent, hop, "a new span id for the hop through Magi");
      assertEquals("congo=t61rcWkgMzE", upstream.headers().get("tracestate"));

      // An id that could break a log line or a header is replaced; a malformed traceparent is dropped.
      HttpResponse<String> odd = GatewayFixture.send(HttpRequest.newBuilder(URI.create(magi.url() + CHAT))
          .header("Content-Type", "application/json").header("X-Request-Id", "a\"b c")
          .header("traceparent", "00-" + traceId + "-0000000000000000-01")
          .POST(HttpRequest.BodyPublishers.ofString(chat("tiny", false, ""))).build());
      String id = odd.headers().firstValue("x-request-id").orElseThrow();
      assertTrue(id.matches("req_[0-9a-f]{24}"), id);
      RecordedRequest second = llama.lastRequest(CHAT);
      assertEquals(id, second.headers().get("X-Request-Id"));
      assertEquals(null, second.headers().get("traceparent"));
      assertFalse(ApiVerticle.isSaneRequestId("x".repeat(129)));
    }
  }

  @Test
  void scrapersNeedTheTokenWhenOneIsSetAndLoopbackOtherwise() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("metrics: {token: scrape-me}\n");
      assertEquals(401, magi.get("/metrics").statusCode());
      HttpResponse<String> allowed = GatewayFixture.send(HttpRequest.newBuilder(URI.create(magi.url() + "/metrics"))
          .header("Authorization", "Bearer scrape-me").build());
      assertEquals(200, allowed.statusCode());
      assertTrue(allowed.headers().firstValue("content-type").orElseThrow().startsWith("text/plain; version=0.0.4"));
    }
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("admin: {token: admin-secret}\n");
      assertEquals(401, magi.get("/metrics").statusCode(), "the admin token guards the metrics too");
    }
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("metrics: {path: /prometheus}\n");
      assertEquals(200, magi.get("/prometheus").statusCode());
      assertEquals(404, magi.get("/metrics").statusCode());
      HttpResponse<String> proxied = GatewayFixture.send(HttpRequest.newBuilder(URI.create(magi.url() + "/prometheus"))
          .header("X-Forwarded-For", "203.0.113.9").build());
      assertEquals(403, proxied.statusCode(), "a loopback client that came through a proxy is not local");
      assertTrue(proxied.body().contains("\"code\":\"metrics_forbidden\""), proxied.body());
    }
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("metrics: {enabled: false}\n");
      assertEquals(404, magi.get("/metrics").statusCode());
    }
  }

  /** The metrics text, scraped from loopback. */
  static String scrape(GatewayFixture magi) {
    HttpResponse<String> response = magi.get("/metrics");
    assertEquals(200, response.statusCode(), response.body());
    return response.body();
  }

  /**
   * The value of the one sample of {@code name} whose labels include {@code labels}; fails when there
   * is not exactly one.
   */
  static double value(String text, String name, Map<String, String> labels) {
    List<Double> found = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
        continue;
      }
      boolean all = labels.entrySet().stream()
          .allMatch(label -> line.contains(label.getKey() + "=\"" + label.getValue() + "\""));
      if (all) {
        found.add(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
      }
    }
    assertEquals(1, found.size(), "samples of " + name + " " + labels + " in:\n" + text);
    return found.get(0);
  }

  /** Magi's own series (the JVM's come and go with garbage collections). */
  private static int seriesCount(String text) {
    return (int) text.lines().filter(line -> line.startsWith("magi_")).count();
  }

  private static JsonNode lastChunkWithUsage(String stream) throws Exception {
    JsonNode usage = null;
    for (String line : stream.split("\n")) {
      if (line.startsWith("data: {")) {
        JsonNode chunk = JSON.readTree(line.substring(6));
        if (chunk.path("usage").isObject()) {
          usage = chunk.path("usage");
        }
      }
    }
    assertTrue(usage != null, stream);
    return usage;
  }

  /** Prometheus's own checker reads the text as a scrape would, and finds no error. */
  static void promtoolAccepts(String text) throws Exception {
    Path file = Files.createTempFile("magi-metrics", ".txt");
    try {
      Files.writeString(file, text);
      Process check = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile())
          .redirectErrorStream(true).start();
      String output = new String(check.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(check.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
      // promtool exits 3 for lint findings only (names, help text); 1 for text it cannot parse.
      assertTrue(check.exitValue() == 0, "promtool check metrics:\n" + output);
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
