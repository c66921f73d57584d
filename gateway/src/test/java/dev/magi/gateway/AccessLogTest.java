package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sampled access log, read from the {@code dev.magi.access} logger of a running gateway. */
class AccessLogTest {

  private static final String CHAT = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
      + "\"max_tokens\":4}";

  private LogCapture lines;

  @BeforeEach
  void listen() {
    lines = new LogCapture("dev.magi.access");
  }

  @AfterEach
  void stopListening() {
    lines.close();
  }

  @Test
  void withEveryOneEachRequestGetsALineWithItsIdModelAndStatus() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start("server: {access_log_every: 1, event_loops: 1}\n" + Yaml.llama("tiny", llama.url()));

      HttpResponse<String> response = magi.post("/v1/chat/completions", CHAT);

      String line = next();
      String id = response.headers().firstValue("x-request-id").orElseThrow();
      assertTrue(line.startsWith("request_id=" + id + " method=POST path=/v1/chat/completions status=200 model=tiny"
          + " backend=" + llama.url() + " ttft_ms="), line);
      assertTrue(line.matches(".* ttft_ms=\\d+\\.\\d ms=\\d+\\.\\d prompt_tokens=\\d+ completion_tokens=4 .*"),
          "time to first token, then in all, then the tokens: " + line);
      assertTrue(!line.contains(" error="), line);
      assertTrue(line.contains(" bytes=" + response.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
          + " client=127.0.0.1"), line);
    }
  }

  @Test
  void failedRequestsAreLoggedBeyondTheSampleAndOthersAreNot() throws Exception {
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("server: {access_log_every: 1000000, event_loops: 1}\n"
          + Yaml.llama("tiny", "http://127.0.0.1:" + deadPort));
      // The first request of an event loop is the one sampled; the next million are not.
      magi.get("/healthz");
      assertTrue(next().contains("path=/healthz status=200"));

      int failed = magi.post("/v1/chat/completions", CHAT).statusCode();
      String failure = next();
      // A refusal is sampled like a success, but the first of each reason in a minute is logged with
      // the message the client got; the next one of the same reason is not.
      magi.post("/v1/chat/completions", CHAT.replace("tiny", "unknown"));
      String refusal = next();
      magi.post("/v1/chat/completions", CHAT.replace("tiny", "unknown"));
      magi.post("/v1/chat/completions", CHAT);
      String secondFailure = next();

      assertTrue(failed >= 500, "a backend that refuses connections fails the request: " + failed);
      assertTrue(failure.contains("status=" + failed + " model=tiny"), failure);
      assertTrue(failure.matches(".* error=[a-z_]+(\\s.*)?"), "the error code the exchange ended with: " + failure);
      assertTrue(refusal.contains(" status=404 model=unknown ") && refusal.contains(" error=model_not_found message=\""
          + "The model `unknown` does not exist"), refusal);
      // One writer thread keeps the order: had the second 404 been logged, its line would come first.
      // (The backend is now known to be down, so this one may be a 503 where the first was a 502.)
      assertTrue(secondFailure.matches(".* status=5\\d\\d model=tiny .*"), secondFailure);
    }
  }

  @Test
  void aRetriedRequestNamesTheBackendThatAnsweredAndItsAttempts() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer first = magi.llama(new FakeLlamaServer.Options());
      FakeLlamaServer second = magi.llama(new FakeLlamaServer.Options());
      magi.start("server: {access_log_every: 1, event_loops: 1}\nhealth: {interval: 1h}\n"
          + "router: {policy: round_robin}\n" + Yaml.llama("tiny", first.url())
          + "  - model: tiny\n    url: " + second.url() + "\n");
      Await.result(first.close());

      // Round robin sends one of the two to the closed replica, which is retried on the other.
      assertEquals(200, magi.post("/v1/chat/completions", CHAT).statusCode());
      assertEquals(200, magi.post("/v1/chat/completions", CHAT).statusCode());
      String[] logged = {next(), next()};

      String retried = logged[0].contains(" attempts=") ? logged[0] : logged[1];
      String direct = retried == logged[0] ? logged[1] : logged[0];
      assertTrue(retried.contains(" backend=" + second.url() + " attempts=2 "), retried);
      assertTrue(direct.contains(" backend=" + second.url() + " ttft_ms="), direct);
    }
  }

  @Test
  void clientControlledFieldsCannotBreakTheLine() {
    assertEquals("a_b_c_d_e", AccessLog.field("a b\"c=d\ne"));
    assertEquals("x".repeat(200) + "...", AccessLog.field("x".repeat(500)));
  }

  private String next() throws InterruptedException {
    return lines.next(10, "access log line");
  }
}
