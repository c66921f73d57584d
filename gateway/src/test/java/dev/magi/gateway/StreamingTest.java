package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.FakeLlamaServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bytes a client sees on streamed requests, and what happens when either side goes away. */
class StreamingTest {

  private static final String STREAM_BODY = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":"
      + "\"Hello there!\"}],\"max_tokens\":8,\"temperature\":0,\"stream\":true}";

  /** Ids and timestamps differ per response; everything else must be identical. */
  private static String normalise(String body) {
    return body.replaceAll("chatcmpl-[A-Za-z0-9]+", "chatcmpl-ID").replaceAll("\"created\":\\d+", "\"created\":0");
  }

  @Test
  void streamBytesPassThroughUnchanged() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", llama.url()));

      HttpResponse<String> direct = GatewayFixture.send(HttpRequest.newBuilder(URI.create(llama.url()
          + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(STREAM_BODY)).build());
      HttpResponse<String> viaMagi = magi.post("/v1/chat/completions", STREAM_BODY);

      assertEquals(200, viaMagi.statusCode());
      assertEquals(normalise(direct.body()), normalise(viaMagi.body()));
      assertTrue(viaMagi.body().startsWith("data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":"
          + "{\"role\":\"assistant\",\"content\":null}}]"), viaMagi.body());
      assertTrue(viaMagi.body().contains("\"timings\":{"), "llama-server's timings survive");
      assertTrue(viaMagi.body().endsWith("data: [DONE]\n\n"));
      assertEquals("text/event-stream", viaMagi.headers().firstValue("Content-Type").orElseThrow());
      assertEquals("no-cache", viaMagi.headers().firstValue("Cache-Control").orElseThrow());
      assertEquals("no", viaMagi.headers().firstValue("X-Accel-Buffering").orElseThrow());
      assertTrue(viaMagi.headers().firstValue("x-request-id").orElseThrow().startsWith("req_"));
    }
  }

  @Test
  void includeUsageChunkPassesThrough() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", llama.url()));

      String body = magi.post("/v1/chat/completions", STREAM_BODY.replace("\"stream\":true",
          "\"stream\":true,\"stream_options\":{\"include_usage\":true}")).body();

      assertTrue(body.contains("data: {\"choices\":[],"), body);
      assertTrue(body.contains("\"usage\":{\"completion_tokens\":8,"), body);
    }
  }

  @Test
  void loadingBackendIsAnHttpErrorNotAStream() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().startLoading(true));
      magi.start(Yaml.llama("tiny", llama.url()));

      HttpResponse<String> response = magi.post("/v1/chat/completions", STREAM_BODY);

      assertEquals(503, response.statusCode());
      assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
      assertEquals("{\"error\":{\"message\":\"Loading model\",\"type\":\"server_error\",\"param\":null,"
          + "\"code\":\"model_loading\"}}", response.body());
    }
  }

  @Test
  void statusLineWaitsForTheFirstEvent() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      // One slot, held by a slow stream: the second request is queued inside llama-server.
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().slots(1).tokenDelayMillis(20));
      magi.start(Yaml.llama("tiny", llama.url()));
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest request = HttpRequest.newBuilder(URI.create(magi.url() + "/v1/chat/completions"))
          .POST(HttpRequest.BodyPublishers.ofString(STREAM_BODY)).build();

      CompletableFuture<HttpResponse<String>> holder = http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
      waitUntil(() -> llama.busySlots() == 1);
      CompletableFuture<HttpResponse<InputStream>> queued = http.sendAsync(request,
          HttpResponse.BodyHandlers.ofInputStream());
      HttpResponse<InputStream> second = queued.get(30, TimeUnit.SECONDS);

      assertEquals(1, llama.completed(), "the queued stream's status line came only after the slot holder finished");
      holder.get(30, TimeUnit.SECONDS);
      assertEquals(200, second.statusCode());
      second.body().close();
    }
  }

  @Test
  void headersWithoutAnEventAreNotCommittedToTheClient() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", llama.url()));
      llama.dropNextStreamAfterHeaders();

      HttpResponse<String> response = magi.post("/v1/chat/completions", STREAM_BODY);

      assertEquals(502, response.statusCode(), "the upstream 200 had no event behind it");
      assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
      assertTrue(response.body().contains("failed before its first event"), response.body());
    }
  }

  @Test
  void streamThatBreaksBeforeItsFirstEventIsRetriedOnAnotherReplica() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer first = magi.llama(new FakeLlamaServer.Options());
      FakeLlamaServer second = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", first.url()) + "  - model: tiny\n    url: " + second.url() + "\n");
      // Both are idle, so least-outstanding picks the first declared replica, which drops the stream.
      first.dropNextStreamAfterHeaders();

      HttpResponse<String> response = magi.post("/v1/chat/completions", STREAM_BODY);

      assertEquals(200, response.statusCode(), response.body());
      assertTrue(response.body().endsWith("data: [DONE]\n\n"));
      assertEquals(1, second.completed());
    }
  }

  @Test
  void aLongPromptGetsItsStatusLineAndPingsBeforeTheFirstEvent() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().promptMillis(700));
      magi.start("timeouts:\n  commit_delay: 200ms\n  ping_interval: 100ms\n" + Yaml.llama("tiny", llama.url()));

      HttpResponse<String> response = magi.post("/v1/chat/completions", STREAM_BODY);

      assertEquals(200, response.statusCode());
      assertTrue(response.body().startsWith(": ping\n\n: ping\n\n"), response.body());
      String afterPings = response.body().replace(": ping\n\n", "");
      assertTrue(afterPings.startsWith("data: {\"choices\""), afterPings);
      assertTrue(afterPings.endsWith("data: [DONE]\n\n"));
    }
  }

  @Test
  void aFirstEventThatNeverComesAfterPingsIsAnErrorEvent() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().promptMillis(60_000));
      magi.start("timeouts:\n  commit_delay: 100ms\n  ping_interval: 100ms\n  first_token: 500ms\n"
          + Yaml.llama("tiny", llama.url()));

      HttpResponse<String> response = magi.post("/v1/chat/completions", STREAM_BODY);

      assertEquals(200, response.statusCode());
      assertTrue(response.body().startsWith(": ping\n\n"), response.body());
      assertTrue(response.body().endsWith("\"code\":\"upstream_timeout\"}}\n\n"), response.body());
      assertFalse(response.body().contains("[DONE]"));
    }
  }

  @Test
  void backendDyingMidStreamEndsWithOneErrorEventAndNoDone() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", llama.url()));
      llama.failNextStreamAfter(2);

      HttpResponse<String> response = magi.post("/v1/chat/completions", STREAM_BODY);

      assertEquals(200, response.statusCode());
      String[] events = response.body().split("\n\n");
      assertEquals(4, events.length, response.body());
      assertTrue(events[1].contains("\"content\":\"이\""));
      assertTrue(events[2].contains("\"content\":\" północ\""));
      assertTrue(events[3].startsWith("data: {\"error\":{\"message\":\"The backend for model 'tiny' failed during the"
          + " stream"), events[3]);
      assertTrue(events[3].endsWith("\"type\":\"server_error\",\"param\":null,\"code\":\"upstream_failed\"}}"), events[3]);
      assertFalse(response.body().contains("[DONE]"));
    }
  }

  @Test
  void backendErrorEventPassesThroughAsIs() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", llama.url()));
      llama.errorEventInNextStreamAfter(3);

      String body = magi.post("/v1/chat/completions", STREAM_BODY).body();

      assertTrue(body.endsWith("data: {\"error\":{\"code\":500,\"message\":\"The model produced output that does not"
          + " match the expected peg-native format\",\"type\":\"server_error\"}}\n\n"), body);
      assertEquals(1, body.split("\"error\"").length - 1, "no second error event is appended");
    }
  }

  @Test
  void clientLeavingMidStreamResetsTheUpstreamRequest() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().tokenDelayMillis(20).defaultTokens(10_000));
      magi.start(Yaml.llama("tiny", llama.url()));
      HttpRequest request = HttpRequest.newBuilder(URI.create(magi.url() + "/v1/chat/completions"))
          .POST(HttpRequest.BodyPublishers.ofString(STREAM_BODY.replace("\"max_tokens\":8,", ""))).build();

      HttpResponse<InputStream> response = HttpClient.newHttpClient().send(request,
          HttpResponse.BodyHandlers.ofInputStream());
      BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
      assertTrue(reader.readLine().startsWith("data: {\"choices\""));
      response.body().close();

      llama.awaitResets(1).get(30, TimeUnit.SECONDS);
      assertEquals(0, llama.completed(), "the generation was abandoned, not finished");
      waitUntil(() -> llama.busySlots() == 0);
      waitUntil(() -> magi.gateway().directory().routes().resolve("tiny").orElseThrow().backends().get(0)
          .inFlight() == 0);
    }
  }

  @Test
  void nonStreamingAnswerPassesThroughUnchanged() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", llama.url()));
      String body = STREAM_BODY.replace(",\"stream\":true", "");

      HttpResponse<String> direct = GatewayFixture.send(HttpRequest.newBuilder(URI.create(llama.url()
          + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build());
      HttpResponse<String> viaMagi = magi.post("/v1/chat/completions", body);

      assertEquals(200, viaMagi.statusCode());
      assertEquals(normalise(direct.body()), normalise(viaMagi.body()));
      assertEquals("application/json; charset=utf-8", viaMagi.headers().firstValue("Content-Type").orElseThrow());
      assertEquals("chat.completion", viaMagi.body().replaceAll(".*\"object\":\"([a-z.]+)\".*", "$1"));
    }
  }

  @Test
  void requestBodyIsForwardedByteForByteWhenNothingChanges() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", llama.url()));
      String body = "{\"model\":\"tiny\",  \"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
          + "\"top_k\":5,\"frobnicate\":{\"x\":1}}";

      magi.post("/v1/chat/completions", body);

      assertEquals(body, llama.lastRequest("/v1/chat/completions").body());
    }
  }

  @Test
  void maxCompletionTokensReachesOlderLlamaServersAsMaxTokens() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", llama.url()));

      magi.post("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
          + "\"max_completion_tokens\":3}");

      assertEquals(3, llama.lastRequest("/v1/chat/completions").json().get("max_tokens").asInt());
    }
  }

  @Test
  void unreachableBackendIsABadGatewayError() throws IOException {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(Yaml.llama("tiny", "http://127.0.0.1:" + closedPort));

      HttpResponse<String> response = magi.post("/v1/chat/completions", STREAM_BODY);

      assertEquals(502, response.statusCode());
      assertTrue(response.body().contains("\"code\":\"bad_gateway\""), response.body());
      assertTrue(response.body().contains("unreachable (connection refused)"), response.body());
      assertFalse(response.body().contains(String.valueOf(closedPort)), "no backend address leaks to clients");
    }
  }

  @Test
  void secondReplicaServesWhenTheFirstRefusesConnections() throws IOException {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start("health:\n  interval: 1h\n" + Yaml.llama("tiny", "http://127.0.0.1:" + closedPort)
          + "  - model: tiny\n    url: " + llama.url() + "\n");
      // The refused endpoint fails its check; mark it unknown again so it is still tried first.
      magi.gateway().directory().endpoints().forEach(e -> e.recordHealth(dev.magi.router.Health.UNKNOWN, ""));

      HttpResponse<String> response = magi.post("/v1/chat/completions", STREAM_BODY);

      assertEquals(200, response.statusCode(), response.body());
      assertTrue(response.body().endsWith("data: [DONE]\n\n"));
    }
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 30 s");
      }
      Thread.sleep(5);
    }
  }

  /**
   * llama-server writes one HTTP chunk per token; a burst of them that reaches Magi in one turn of its
   * event loop goes out as one write, not one write (and one system call) per event. The chunked
   * framing the client receives shows it.
   */
  @Test
  void aBurstOfEventsLeavesInOneWrite() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().tokenDelayMillis(0));
      magi.start(Yaml.llama("tiny", llama.url()));
      String body = STREAM_BODY.replace("\"max_tokens\":8", "\"max_tokens\":32");
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", magi.gateway().port())) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: magi\r\n"
            + "Content-Type: application/json\r\nConnection: close\r\nContent-Length: "
            + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        String raw = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        String content = raw.substring(raw.indexOf("\r\n\r\n") + 4);
        int chunks = 0;
        StringBuilder events = new StringBuilder();
        for (int at = 0; ; ) {
          int lineEnd = content.indexOf("\r\n", at);
          int size = Integer.parseInt(content.substring(at, lineEnd).trim(), 16);
          if (size == 0) {
            break;
          }
          chunks++;
          events.append(content, lineEnd + 2, lineEnd + 2 + size);
          at = lineEnd + 2 + size + 2;
        }
        int eventCount = events.toString().split("\n\n").length;
        assertTrue(events.toString().endsWith("data: [DONE]\n\n"), events.toString());
        assertTrue(eventCount >= 34, "events: " + eventCount);
        assertTrue(chunks <= eventCount / 4, chunks + " chunks for " + eventCount + " events");
      }
    }
  }
}
