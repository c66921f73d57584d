package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.FakeLlamaServer;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One client, or many, that open connections and then send too little cannot make the gateway
 * unavailable: every such connection is closed within its deadline (plus one tick), the cap on
 * connections refuses more at once, and well-behaved clients are answered meanwhile.
 */
class SlowClientsTest {

  private static final String DEADLINES = "server:\n  header_timeout: 1s\n  body_timeout: 1s\n  idle_timeout: 2s\n";
  private static final String CHAT = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
      + "\"max_tokens\":4}";
  /** The deadline's own second, one tick of the watchdog, and a busy machine's scheduling. */
  private static final double SLACK_SECONDS = 1.0;

  @Test
  void slowLorisConnectionsAreClosedAtTheirDeadlinesWhileOthersAreServed() throws Exception {
    try (GatewayFixture magi = new GatewayFixture(); RawClients raw = new RawClients()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start(DEADLINES + Yaml.llama("tiny", llama.url()));
      int port = magi.gateway().port();

      List<RawClients.Connection> silent = raw.open(port, 100, "");
      List<RawClients.Connection> halfHeaders = raw.open(port, 100,
          "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n");
      List<RawClients.Connection> halfBodies = raw.open(port, 100,
          "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{");

      long began = System.nanoTime();
      assertEquals(200, magi.get("/healthz").statusCode());
      HttpResponse<String> chat = magi.post("/v1/chat/completions", CHAT);
      assertEquals(200, chat.statusCode(), chat.body());
      double answeredIn = (System.nanoTime() - began) / 1e9;
      assertTrue(answeredIn < 1.0, "well-behaved requests took " + answeredIn + " s beside 300 slow ones");

      List<RawClients.Connection> all = new java.util.ArrayList<>(silent);
      all.addAll(halfHeaders);
      all.addAll(halfBodies);
      assertTrue(raw.awaitClosed(all, 10_000), "every slow connection is closed");
      for (RawClients.Connection connection : all) {
        assertTrue(connection.secondsOpen() < 1.0 + SLACK_SECONDS, "closed after " + connection.secondsOpen() + " s");
        assertTrue(connection.secondsOpen() >= 0.9, "not before its deadline: " + connection.secondsOpen() + " s");
      }
      for (RawClients.Connection connection : halfBodies) {
        assertTrue(connection.received.toString().startsWith("HTTP/1.1 408 "), connection.received.toString());
        assertTrue(connection.received.toString().contains("\"code\":\"request_timeout\""));
      }
      for (RawClients.Connection connection : silent) {
        assertEquals("", connection.received.toString(), "nothing to answer before a request");
      }
    }
  }

  @Test
  void keepAliveConnectionIsClosedWhenIdleButAStreamLongerThanThatIsNot() throws Exception {
    try (GatewayFixture magi = new GatewayFixture(); RawClients raw = new RawClients()) {
      // 12 tokens 250 ms apart: a 3 s stream, longer than the 2 s idle deadline.
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().tokenDelayMillis(250).defaultTokens(12));
      magi.start(DEADLINES + Yaml.llama("tiny", llama.url()));
      int port = magi.gateway().port();

      RawClients.Connection idle = raw.open(port, 1, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").get(0);
      String stream = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}";
      RawClients.Connection streaming = raw.open(port, 1, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + stream.length() + "\r\n\r\n" + stream).get(0);

      assertTrue(raw.awaitClosed(List.of(idle), 10_000));
      assertTrue(idle.received.toString().startsWith("HTTP/1.1 200 "), idle.received.toString());
      assertTrue(idle.secondsOpen() >= 1.9 && idle.secondsOpen() < 2.0 + SLACK_SECONDS,
          "idle keep-alive closed after " + idle.secondsOpen() + " s");

      // The stream ends with its [DONE]; then its connection is idle, and closed 2 s later.
      assertTrue(raw.awaitClosed(List.of(streaming), 15_000));
      String bytes = streaming.received.toString();
      assertTrue(bytes.contains("data: [DONE]"), "the stream ran to its end: " + bytes);
      assertTrue(streaming.secondsOpen() >= 3.0 + 1.9, "idle time counts from the end of the stream: "
          + streaming.secondsOpen() + " s");
    }
  }

  @Test
  void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
    try (GatewayFixture magi = new GatewayFixture(); RawClients raw = new RawClients();
        LogCapture log = new LogCapture(ClientConnections.class.getName())) {
      magi.start("server:\n  max_connections: 20\n");
      int port = magi.gateway().port();
      List<RawClients.Connection> held = raw.open(port, 20, "");
      // Accepting is asynchronous: wait until the gateway counts all 20 before going over the cap.
      long until = System.nanoTime() + 10_000_000_000L;
      while (magi.gateway().openConnections() < 20 && System.nanoTime() < until) {
        Thread.sleep(2);
      }
      assertEquals(20, magi.gateway().openConnections());

      List<RawClients.Connection> refused = raw.open(port, 5, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      assertTrue(raw.awaitClosed(refused, 5_000), "connections over the cap are closed");
      for (RawClients.Connection connection : refused) {
        assertTrue(connection.secondsOpen() < 1.0, "closed at once, not after " + connection.secondsOpen() + " s");
        assertEquals("", connection.received.toString());
      }
      String report = log.next(5, "a report of the refusals");
      assertTrue(report.startsWith("refusing client connections: 20 are open (server.max_connections)"), report);
      assertEquals(null, log.poll(), "refusals are reported once a minute, not once each");

      for (RawClients.Connection connection : held) {
        connection.channel.close();
      }
      until = System.nanoTime() + 10_000_000_000L;
      while (magi.gateway().openConnections() > 0 && System.nanoTime() < until) {
        Thread.sleep(2);
      }
      assertEquals(200, magi.get("/healthz").statusCode(), "places are given back when connections close");
    }
  }
}
