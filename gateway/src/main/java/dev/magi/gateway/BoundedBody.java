package dev.magi.gateway;

import dev.magi.proxy.api.ApiException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

/**
 * Reads one request's body into memory, bounded, for the routes served without the router. It
 * behaves as vertx-web's {@code BodyHandler} does for them: a declared {@code Content-Length} over the
 * limit, or a body that grows past it while read, is a 413 at once (the rest is read and dropped, so
 * the connection stays usable); {@code Expect: 100-continue} is answered; an HTTP/1.x request with
 * neither {@code Content-Length} nor {@code Transfer-Encoding} has no body.
 *
 * <p>When the whole declared body arrives as one piece, that piece is the body: nothing is copied.
 * Once the body is handed on, the request's handlers are cleared, so a request held open for a long
 * stream keeps nothing of its reading.
 */
final class BoundedBody implements Handler<Buffer> {

  /** The largest buffer allocated up front from a declared length; larger bodies grow as they come. */
  private static final int MAX_PREALLOCATED = 65_535;

  private final HttpServerRequest request;
  private final long limit;
  private final long declared;
  private final Handler<Buffer> onBody;
  private final Handler<Throwable> onFailure;
  private Buffer body;
  private long received;
  private boolean failed;

  private BoundedBody(HttpServerRequest request, long limit, long declared, Handler<Buffer> onBody,
      Handler<Throwable> onFailure) {
    this.request = request;
    this.limit = limit;
    this.declared = declared;
    this.onBody = onBody;
    this.onFailure = onFailure;
  }

  /**
   * Reads {@code request}'s body, then calls {@code onBody} with it (null when the request has none).
   * Calls {@code onFailure} instead with a 413 {@link ApiException} when the body is over
   * {@code limit} bytes, with a 400 one when reading fails (the client went away), and with whatever
   * {@code onBody} throws. Call it from the request handler, before the body can arrive.
   */
  static void read(HttpServerRequest request, long limit, Handler<Buffer> onBody, Handler<Throwable> onFailure) {
    long declared = declaredLength(request);
    if (declared == -1 && request.version() != HttpVersion.HTTP_2
        && !request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
      deliver(onBody, onFailure, null);
      return;
    }
    if (declared > limit) {
      onFailure.handle(tooLarge(limit));
      return;
    }
    String expect = request.getHeader(HttpHeaders.EXPECT);
    if (expect != null && expect.equalsIgnoreCase("100-continue")) {
      if (request.version() == HttpVersion.HTTP_1_0) {
        onFailure.handle(new ApiException(417, "invalid_request_error", null, "expectation_failed",
            "Expect: 100-continue is not allowed with HTTP/1.0."));
        return;
      }
      request.response().writeContinue();
    }
    BoundedBody reader = new BoundedBody(request, limit, declared, onBody, onFailure);
    // A client that goes away mid-body is not the gateway's failure: a 400 (unsent), and no log.
    request.handler(reader)
        .endHandler(ended -> reader.end())
        .exceptionHandler(cause -> reader.fail(unreadable()));
  }

  /** The 413 a body over {@code limit} bytes gets. */
  static ApiException tooLarge(long limit) {
    return new ApiException(413, "invalid_request_error", null, "request_too_large",
        "The request body is larger than " + limit + " bytes.");
  }

  /** The 400 a body that could not be read to its end gets. */
  static ApiException unreadable() {
    return ApiException.invalid(null, "The request could not be read.");
  }

  /**
   * Drops the handlers that read {@code request}'s body, once it has been handed on: the request may
   * live on for minutes as a stream, and should keep nothing of its reading.
   */
  static void dropReader(HttpServerRequest request) {
    request.handler(null).endHandler(null).exceptionHandler(null);
  }

  @Override
  public void handle(Buffer piece) {
    if (failed) {
      return;
    }
    received += piece.length();
    if (received > limit) {
      fail(tooLarge(limit));
      return;
    }
    if (body == null) {
      if (received == declared) {
        body = piece;
        return;
      }
      body = Buffer.buffer((int) Math.min(declared > 0 ? declared : 1024, MAX_PREALLOCATED));
    }
    body.appendBuffer(piece);
  }

  private void end() {
    dropReader(request);
    if (failed) {
      return;
    }
    deliver(onBody, onFailure, body == null ? Buffer.buffer() : body);
  }

  private void fail(Throwable cause) {
    if (failed) {
      return;
    }
    failed = true;
    body = null;
    onFailure.handle(cause);
  }

  private static void deliver(Handler<Buffer> onBody, Handler<Throwable> onFailure, Buffer body) {
    try {
      onBody.handle(body);
    } catch (RuntimeException e) {
      onFailure.handle(e);
    }
  }

  /** The declared {@code Content-Length}; -1 when absent or not a number. */
  private static long declaredLength(HttpServerRequest request) {
    String value = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (value == null || value.isEmpty()) {
      return -1;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
