package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM drains a real Magi process: the listener closes, requests in flight run to their end for
 * {@code server.drain_timeout}, and what is still open then ends cleanly with an error the client
 * can read; every step is logged, the last line counting what was drained and cut.
 */
class GracefulStopTest {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir
  Path dir;

  /** One streamed request read line by line: its first event, and all its lines once it ends. */
  private static final class Stream {
    final CompletableFuture<Void> firstEvent = new CompletableFuture<>();
    final CompletableFuture<List<String>> lines = new CompletableFuture<>();

    Stream(String url, String model, int tokens) {
      HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"model\":\""
          + model + "\",\"max_tokens\":" + tokens + ",\"stream\":true,\"messages\":[{\"role\":\"user\","
          + "\"content\":\"Hi\"}]}")).build();
      CompletableFuture.runAsync(() -> {
        List<String> seen = new ArrayList<>();
        try (java.util.stream.Stream<String> body = HTTP.send(request, HttpResponse.BodyHandlers.ofLines()).body()) {
          body.forEach(line -> {
            seen.add(line);
            if (line.startsWith("data: ")) {
              firstEvent.complete(null);
            }
          });
          lines.complete(seen);
        } catch (Exception e) {
          firstEvent.completeExceptionally(e);
          lines.completeExceptionally(new IllegalStateException("stream broke after " + seen, e));
        }
      });
    }
  }

  /** A fake llama-server on {@code vertx} whose tokens come 100 ms apart, with 8 slots. */
  private static FakeLlamaServer tokensEvery100ms(Vertx vertx) {
    return Await.result(FakeLlamaServer.start(vertx, new FakeLlamaServer.Options().tokenDelayMillis(100).slots(8)));
  }

  /** Writes Magi's configuration: any port, {@code drainTimeout}, a data directory of the test's own. */
  private Path config(String drainTimeout, String backends) throws java.io.IOException {
    return Files.writeString(dir.resolve("magi.yaml"), "server:\n  port: 0\n  drain_timeout: " + drainTimeout
        + "\nmodels:\n  data: " + dir.resolve("data") + "\n  dir: " + dir.resolve("models") + "\n" + backends);
  }

  @Test
  void sigtermLetsRequestsInFlightFinishThenCutsWhatIsLeftCleanly() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      FakeLlamaServer tokens = tokensEvery100ms(vertx);
      FakeLlamaServer stuck = Await.result(FakeLlamaServer.start(vertx,
          new FakeLlamaServer.Options().promptMillis(120_000).slots(8)));
      Path config = config("2s", Yaml.llama("tiny", tokens.url()) + "  - model: stuck\n    url: " + stuck.url() + "\n");
      try (MagiProcess magi = MagiProcess.start(dir, Map.of(), "serve", "--config", config.toString())) {
        String url = magi.url();
        Stream longStream = new Stream(url, "tiny", 300);
        longStream.firstEvent.get(30, TimeUnit.SECONDS);
        Stream shortStream = new Stream(url, "tiny", 8);
        shortStream.firstEvent.get(30, TimeUnit.SECONDS);
        CompletableFuture<HttpResponse<String>> unanswered = HTTP.sendAsync(HttpRequest.newBuilder(
            URI.create(url + "/v1/chat/completions")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stuck\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        awaitRequestsAt(stuck, 1);

        magi.terminate();
        long signalledAt = System.nanoTime();

        int port = URI.create(url).getPort();
        awaitRefused(port);
        List<String> finished = shortStream.lines.get(10, TimeUnit.SECONDS);
        assertEquals("data: [DONE]", finished.stream().filter(l -> !l.isEmpty()).reduce((a, b) -> b).orElseThrow(),
            "a stream that ends within the drain runs to its end");

        List<String> cut = longStream.lines.get(10, TimeUnit.SECONDS);
        String last = cut.stream().filter(l -> !l.isEmpty()).reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("data: {\"error\":{") && last.contains("\"code\":\"server_shutting_down\""),
            "a stream still open at the deadline ends with one error event: " + last);
        double cutAfter = (System.nanoTime() - signalledAt) / 1e9;
        assertTrue(cutAfter >= 1.8, "not cut before drain_timeout: " + cutAfter + " s");

        HttpResponse<String> refusedAnswer = unanswered.get(10, TimeUnit.SECONDS);
        assertEquals(503, refusedAnswer.statusCode());
        assertTrue(refusedAnswer.body().contains("\"code\":\"server_shutting_down\""), refusedAnswer.body());

        assertEquals(0, magi.awaitExit(30));
        List<String> lines = magi.lines();
        String output = magi.output();
        assertTrue(output.contains("SIGTERM: stopping"), output);
        assertTrue(output.contains("stopping model servers"), output);
        assertTrue(lines.get(lines.size() - 1).contains("1 requests drained, 2 cut"),
            "the last line counts what was drained and cut:\n" + output);
      }
    } finally {
      Await.result(vertx.close());
    }
  }

  @Test
  void aSecondSigtermCutsAtOnce() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      FakeLlamaServer tokens = tokensEvery100ms(vertx);
      Path config = config("60s", Yaml.llama("tiny", tokens.url()));
      try (MagiProcess magi = MagiProcess.start(dir, Map.of(), "serve", "--config", config.toString())) {
        Stream stream = new Stream(magi.url(), "tiny", 3000);
        stream.firstEvent.get(30, TimeUnit.SECONDS);
        magi.terminate();
        awaitRefused(URI.create(magi.url()).getPort());
        long secondAt = System.nanoTime();
        magi.terminate();
        List<String> lines = stream.lines.get(10, TimeUnit.SECONDS);
        assertTrue(lines.stream().anyMatch(l -> l.contains("server_shutting_down")), String.join("\n", lines));
        assertEquals(0, magi.awaitExit(30));
        assertTrue((System.nanoTime() - secondAt) / 1e9 < 10, "the 60 s drain was skipped");
        assertTrue(magi.output().contains("again: cutting"), magi.output());
      }
    } finally {
      Await.result(vertx.close());
    }
  }

  /** Waits until {@code server} has received {@code count} chat requests. */
  private static void awaitRequestsAt(FakeLlamaServer server, int count) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (server.requests().stream().filter(r -> r.path().contains("/chat/")).count() < count) {
      assertTrue(System.nanoTime() < until, "the request never reached the backend");
      Thread.sleep(10);
    }
  }

  /** Waits until connecting to {@code port} is refused: the listener is closed. */
  private static void awaitRefused(int port) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        assertTrue(System.nanoTime() < until, "the listener still takes connections 5 s after SIGTERM");
        Thread.sleep(10);
      } catch (ConnectException refused) {
        return;
      } catch (IOException other) {
        return;
      }
    }
  }
}
