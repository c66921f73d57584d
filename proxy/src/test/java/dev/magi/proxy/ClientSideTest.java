package dev.magi.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.proxy.api.ApiException;
import dev.magi.testkit.Await;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a client receives through {@link ClientSide}, read as raw bytes off a real socket. */
class ClientSideTest {

  private Vertx vertx;
  private HttpServer server;
  private Handler<ClientSide> script;
  /** What {@link ClientSide#commitStream} said it sent of the held bytes. */
  private volatile int heldSent;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    server = Await.result(vertx.createHttpServer().requestHandler((HttpServerRequest request) ->
        script.handle(new ClientSide(vertx.getOrCreateContext(), request.response(), dev.magi.proxy.api.ClientFace.OPENAI))).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  /** The whole raw answer to one request. */
  private String answer() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.actualPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The chunks of a chunked body, in order. */
  private static List<String> chunks(String answer) {
    String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
    List<String> chunks = new ArrayList<>();
    while (!body.isEmpty()) {
      int end = body.indexOf("\r\n");
      int size = Integer.parseInt(body.substring(0, end), 16);
      if (size == 0) {
        break;
      }
      chunks.add(body.substring(end + 2, end + 2 + size));
      body = body.substring(end + 2 + size + 2);
    }
    return chunks;
  }

  @Test
  void aStreamCommitsWithItsFirstEventAndCoalescesWhatArrivesInOneTurn() throws Exception {
    script = client -> {
      client.hold(Buffer.buffer("data: {\"a\""));
      client.hold(Buffer.buffer(":1}\n\n"));
      heldSent = client.commitStream(null);
      client.emit(Buffer.buffer("data: {\"b\":2}\n\n"));
      // The next turn: both went out together before it.
      vertx.runOnContext(next -> {
        client.emit(Buffer.buffer("data: {\"c\":3}\n\n"));
        client.endStream(Buffer.buffer("data: [DONE]\n\n"));
      });
    };

    String answer = answer();

    assertEquals(15, heldSent, "the held bytes go out with the 200");
    assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer);
    assertTrue(answer.contains("content-type: text/event-stream") || answer.contains("Content-Type: text/event-stream"),
        answer);
    assertEquals(List.of("data: {\"a\":1}\n\ndata: {\"b\":2}\n\n", "data: {\"c\":3}\n\ndata: [DONE]\n\n"),
        chunks(answer), "one write per event-loop turn, the end with what was still queued");
  }

  @Test
  void aFailureBeforeTheCommitIsAnHttpErrorAndAfterItAnErrorEvent() throws Exception {
    script = client -> client.fail(ApiException.badGateway("The backend is unreachable."));
    String before = answer();
    assertTrue(before.startsWith("HTTP/1.1 502 "), before);
    assertTrue(before.contains("\"code\":\"") && before.contains("The backend is unreachable."), before);

    script = client -> {
      client.hold(Buffer.buffer("data: {\"a\":1}\n\n"));
      client.commitStream(null);
      client.fail(ApiException.timeout("Nothing for 60 s."));
    };
    String after = answer();
    assertTrue(after.startsWith("HTTP/1.1 200 OK\r\n"), after);
    List<String> chunks = chunks(after);
    String last = chunks.get(chunks.size() - 1);
    assertTrue(last.endsWith("data: {\"error\":{\"message\":\"Nothing for 60 s.\",\"type\":\"server_error\",\"param\":null,"
        + "\"code\":\"upstream_timeout\"}}\n\n"), "one error event ends the stream: " + last);
  }

  @Test
  void pingsAreCommentsAndASilentCommitSendsNothingElse() throws Exception {
    script = client -> {
      client.commitStream(null);
      client.ping(42);
      assertEquals(42, client.lastPingNanos());
      vertx.runOnContext(next -> client.endStream(Buffer.buffer("data: [DONE]\n\n")));
    };

    assertEquals(List.of(": ping\n\n", "data: [DONE]\n\n"), chunks(answer()));
  }

  @Test
  void gatheredPiecesComeOutInOrderAndThePiecesThemselvesAreNotChanged() {
    ClientSide.Gathered gathered = new ClientSide.Gathered();
    Buffer first = Buffer.buffer("data: 1\n\n");
    gathered.add(first);
    StringBuilder expected = new StringBuilder("data: 1\n\n");
    for (int i = 2; i <= 200; i++) {
      gathered.add(Buffer.buffer("data: " + i + "\n\n"));
      gathered.add(Buffer.buffer());
      expected.append("data: ").append(i).append("\n\n");
    }

    assertEquals(expected.toString(), gathered.take().toString());
    assertEquals("data: 1\n\n", first.toString(), "the first piece, not this gatherer's own, is left as it was");
    assertTrue(gathered.isEmpty());
    org.junit.jupiter.api.Assertions.assertNull(gathered.take());
    gathered.add(first);
    assertTrue(first == gathered.take(), "a single piece goes out as it came, uncopied");
  }
}
