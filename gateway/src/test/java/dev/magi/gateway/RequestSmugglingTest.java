package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.FakeLlamaServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests whose boundaries two HTTP parsers could read differently (the stuff of request smuggling)
 * are refused with a clear error and their connection closed, directly and through a real nginx in
 * front; what they try to smuggle never runs, and the next well-formed request is answered as itself.
 */
class RequestSmugglingTest {

  /** A request that would run if smuggled: nothing may ever reach the backend with this model. */
  private static final String SMUGGLED_BODY = "{\"model\":\"smuggled\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
  private static final String SMUGGLED = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      + "Content-Length: " + SMUGGLED_BODY.length() + "\r\n\r\n" + SMUGGLED_BODY;

  /** Attacks by name: the raw bytes, and the statuses that are a correct refusal. */
  private static final Map<String, String> ATTACKS = Map.of(
      "Content-Length with Transfer-Encoding", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
      "two different Content-Lengths", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
          + "Content-Length: " + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED,
      "an unknown transfer coding", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"
          + SMUGGLED,
      "a space before the colon", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n"
          + "Content-Length: 5\r\n\r\n0\r\n\r\n" + SMUGGLED,
      "a control byte in a header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\u0001b\r\n\r\n" + SMUGGLED,
      "64 KiB of headers", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64 * 1024) + "\r\n\r\n" + SMUGGLED);

  @TempDir
  Path dir;

  /** A well-formed chat request for the model that is served, on a connection that closes after it. */
  private static String legit() {
    String body = SMUGGLED_BODY.replace("smuggled", "tiny");
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + "Content-Length: " + body.length() + "\r\n\r\n" + body;
  }

  /** Sends {@code bytes} on a new connection; returns what came back before the server closed it. */
  private static String exchange(int port, String bytes) throws Exception {
    try (RawClients raw = new RawClients()) {
      RawClients.Connection connection = raw.open(port, 1, bytes).get(0);
      assertTrue(raw.awaitClosed(List.of(connection), 10_000), "the connection is closed, not left to be reused: "
          + bytes.substring(0, Math.min(120, bytes.length())) + " => " + connection.received);
      return connection.received.toString();
    }
  }

  private static void assertRefused(String name, String answer) {
    assertTrue(answer.matches("(?s)HTTP/1\\.[01] (400|414|431|501) .*"), name + ": " + answer);
    assertEquals(1, java.util.regex.Pattern.compile("(?m)^HTTP/1\\.[01] \\d{3} ").matcher(answer).results().count(),
        name + ": one answer only, nothing smuggled: " + answer);
  }

  @Test
  void directlyEachAttackIsRefusedInOpenAisShapeAndNothingSmuggledRuns() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", llama.url()) + "  - model: smuggled\n    url: " + llama.url() + "\n");
      for (Map.Entry<String, String> attack : ATTACKS.entrySet()) {
        String answer = exchange(magi.gateway().port(), attack.getValue());
        assertRefused(attack.getKey(), answer);
        assertTrue(answer.contains("{\"error\":{\"message\":"), attack.getKey() + ": OpenAI's error shape: " + answer);
      }
      assertTrue(llama.requests().stream().noneMatch(r -> r.body() != null && r.body().contains("smuggled")),
          "no smuggled request reached the backend");
      String chat = exchange(magi.gateway().port(), legit());
      assertTrue(chat.startsWith("HTTP/1.1 200 "), chat);
    }
  }

  @Test
  void throughNginxEachAttackIsRefusedAndTheSharedUpstreamConnectionsStayInStep() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(NginxFront.binary() != null || System.getenv("CI") != null,
        "nginx is not installed");
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", llama.url()) + "  - model: smuggled\n    url: " + llama.url() + "\n");
      try (NginxFront nginx = NginxFront.start(dir.resolve("nginx"), magi.gateway().port())) {
        String legit = legit();
        // Warm nginx's keep-alive pool to Magi, so that a desync would poison a shared connection.
        assertTrue(exchange(nginx.port, legit).startsWith("HTTP/1.1 200 "));
        for (Map.Entry<String, String> attack : ATTACKS.entrySet()) {
          // nginx answers some attacks itself and closes; others (a control byte) it passes on, relays
          // Magi's 400, and reads what follows on the client's connection as the client's next request:
          // nginx and Magi agree where each request ends, which is what matters.
          String answer;
          try (RawClients raw = new RawClients()) {
            RawClients.Connection connection = raw.open(nginx.port, 1, attack.getValue()).get(0);
            raw.awaitClosed(List.of(connection), 2_000);
            answer = connection.received.toString();
          }
          assertTrue(answer.matches("(?s)HTTP/1\\.[01] (400|414|431|501) .*"), attack.getKey() + ": " + answer);
          String after = exchange(nginx.port, legit);
          assertTrue(after.startsWith("HTTP/1.1 200 ") && after.contains("\"object\":\"chat.completion\""),
              "after " + attack.getKey() + ", the next request is answered as itself: " + after);
        }
        assertTrue(nginx.errorLog().isEmpty() || !nginx.errorLog().contains("upstream prematurely closed"),
            "no shared upstream connection was broken: " + nginx.errorLog());
      }
    }
  }
}
