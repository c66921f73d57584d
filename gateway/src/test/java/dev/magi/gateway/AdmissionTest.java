package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.router.AdmissionQueue;
import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A backend never gets more requests than its slots; the rest wait in a bounded queue, or get 429. */
class AdmissionTest {

  private static final String STREAM = "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":%d,"
      + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

  private static HttpRequest stream(GatewayFixture magi, int tokens) {
    return HttpRequest.newBuilder(URI.create(magi.url() + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString(String.format(STREAM, tokens))).build();
  }

  private static AdmissionQueue queue(GatewayFixture magi) {
    return magi.gateway().directory().routes().resolve("tiny").orElseThrow().queue();
  }


  @Test
  void aBackendNeverRunsMoreThanItsSlots() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().slots(2).tokenDelayMillis(5));
      magi.start(Yaml.llama("tiny", llama.url()));
      assertEquals(2, magi.gateway().directory().routes().resolve("tiny").orElseThrow().backends().get(0).slots(),
          "slots learned from llama-server's /props");
      HttpClient http = HttpClient.newHttpClient();

      List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        streams.add(http.sendAsync(stream(magi, 10), HttpResponse.BodyHandlers.ofString()));
      }

      for (CompletableFuture<HttpResponse<String>> response : streams) {
        HttpResponse<String> done = response.get(30, TimeUnit.SECONDS);
        assertEquals(200, done.statusCode());
        assertTrue(done.body().endsWith("data: [DONE]\n\n"));
      }
      assertEquals(0, llama.deferredTotal(), "no request had to wait inside llama-server");
      assertEquals(8, llama.completed());
    }
  }

  @Test
  void slotsAreKnownBeforeTheBackendIsFirstCalledHealthy() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().slots(2).propsDelayMillis(300));
      magi.start(Yaml.llama("tiny", llama.url()));

      assertEquals(2, magi.gateway().directory().routes().resolve("tiny").orElseThrow().backends().get(0).slots(),
          "a slow /props still sets the slots before the gateway admits anything");
    }
  }

  @Test
  void aFullQueueIs429WithRetryAfter() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().slots(1).tokenDelayMillis(20));
      magi.start("router:\n  queue_length: 1\n" + Yaml.llama("tiny", llama.url()));
      HttpClient http = HttpClient.newHttpClient();

      CompletableFuture<HttpResponse<String>> running = http.sendAsync(stream(magi, 30),
          HttpResponse.BodyHandlers.ofString());
      Await.until(() -> llama.busySlots() == 1, "first request running");
      CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(stream(magi, 2),
          HttpResponse.BodyHandlers.ofString());
      Await.until(() -> queue(magi).waiting() == 1, "second request queued");
      HttpResponse<String> refused = magi.post("/v1/chat/completions", String.format(STREAM, 2));

      assertEquals(429, refused.statusCode());
      assertEquals("2", refused.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(refused.body().contains("\"code\":\"rate_limit_exceeded\""), refused.body());
      assertEquals(200, running.get(30, TimeUnit.SECONDS).statusCode());
      assertTrue(waiting.get(30, TimeUnit.SECONDS).body().endsWith("data: [DONE]\n\n"), "the queued one is served");
      assertEquals(0, llama.deferredTotal());
    }
  }

  @Test
  void aWaitLongerThanAllowedIs429() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().slots(1).tokenDelayMillis(20));
      magi.start("router:\n  queue_wait: 100ms\n" + Yaml.llama("tiny", llama.url()));
      CompletableFuture<HttpResponse<String>> running = HttpClient.newHttpClient().sendAsync(stream(magi, 50),
          HttpResponse.BodyHandlers.ofString());
      Await.until(() -> llama.busySlots() == 1, "first request running");

      HttpResponse<String> expired = magi.post("/v1/chat/completions", String.format(STREAM, 2));

      assertEquals(429, expired.statusCode());
      assertEquals("1", expired.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(expired.body().contains("had no free slot within 100 ms"), expired.body());
      running.get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aClientThatLeavesTheQueueIsNeverSent() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().slots(1).tokenDelayMillis(20));
      magi.start(Yaml.llama("tiny", llama.url()));
      CompletableFuture<HttpResponse<String>> running = HttpClient.newHttpClient().sendAsync(stream(magi, 20),
          HttpResponse.BodyHandlers.ofString());
      Await.until(() -> llama.busySlots() == 1, "first request running");

      try (Socket socket = new Socket("127.0.0.1", magi.gateway().port())) {
        byte[] body = String.format(STREAM, 2).getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        Await.until(() -> queue(magi).waiting() == 1, "queued");
      }
      Await.until(() -> queue(magi).waiting() == 0, "left the queue when the client went away");

      running.get(30, TimeUnit.SECONDS);
      HttpResponse<String> next = magi.post("/v1/chat/completions", String.format(STREAM, 2));
      assertEquals(200, next.statusCode());
      assertEquals(2, llama.requests().stream().filter(r -> r.path().equals("/v1/chat/completions")).count(),
          "the abandoned request never reached the backend");
    }
  }

  @Test
  void anOpenAiCompatibleBackendWithoutConfiguredSlotsIsNotLimited() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      // 300 streams at once: beyond the 256 a queue holds, and beyond any guessed limit.
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().slots(300).tokenDelayMillis(200));
      magi.start("router:\n  queue_length: 1\nbackends:\n  - model: tiny\n    url: " + llama.url()
          + "\n    type: openai\n");
      HttpClient http = HttpClient.newHttpClient();

      // Each stream lasts 5 s, so that the first are still running when the last arrive on a busy machine.
      List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        streams.add(http.sendAsync(stream(magi, 25), HttpResponse.BodyHandlers.ofString()));
      }
      Await.until(() -> llama.busySlots() == 300, "all 300 streams at the backend at once");
      for (CompletableFuture<HttpResponse<String>> stream : streams) {
        assertEquals(200, stream.get(60, TimeUnit.SECONDS).statusCode());
      }
      assertEquals(0, queue(magi).waiting());
    }
  }
}
