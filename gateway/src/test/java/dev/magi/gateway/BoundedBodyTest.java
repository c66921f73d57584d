package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link BoundedBody} leaves behind once it has handed a body on: a request that then stays open
 * for minutes (a held stream) must not keep its reader, nor what the reader calls.
 */
class BoundedBodyTest {

  private Vertx vertx;
  private HttpServer server;
  /** The request whose body was read, held open (never answered) as a stream would be. */
  private final CompletableFuture<HttpServerRequest> held = new CompletableFuture<>();
  private final CompletableFuture<String> body = new CompletableFuture<>();
  private WeakReference<Handler<Buffer>> onBody;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(request -> {
      Handler<Buffer> reader = new BodyCatcher(body);
      onBody = new WeakReference<>(reader);
      BoundedBody.read(request, 1024, reader, body::completeExceptionally);
      held.complete(request);
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aRequestHeldOpenAfterItsBodyKeepsNothingOfItsReading() throws Exception {
    try (Socket client = new Socket("127.0.0.1", server.actualPort())) {
      OutputStream out = client.getOutputStream();
      // The head first, the body in a later packet: the body is read through the reader's handlers.
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      HttpServerRequest request = held.get(10, TimeUnit.SECONDS);
      out.write("{\"a\":\"bcd\"}".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertEquals("{\"a\":\"bcd\"}", body.get(10, TimeUnit.SECONDS));

      // The request is still open (held here and by its connection); its reader should be garbage.
      for (int i = 0; i < 50 && onBody.get() != null; i++) {
        System.gc();
        Thread.onSpinWait();
      }
      assertNull(onBody.get(), "the request still reaches the handler its body went to");
      assertFalse(request.response().ended(), "the request was answered, so it was not held");
    }
  }

  /** Completes a future with the body, and holds nothing else. */
  private record BodyCatcher(CompletableFuture<String> body) implements Handler<Buffer> {
    @Override
    public void handle(Buffer piece) {
      body.complete(piece.toString(StandardCharsets.UTF_8));
    }
  }
}
