package dev.magi.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeoutException;

/**
 * One request of an {@link UpstreamClient} and its answer. {@link #response()} completes when the
 * answer's head arrives (or fails when no head will); the body then streams to {@link #handler},
 * and ends with {@link #endHandler} or {@link #exceptionHandler}. Pieces, the end and a failure that
 * arrive while paused, or before their handler is set, wait here and are delivered in order, so a
 * caller that sets its handlers late loses nothing. Confined to the client's event loop.
 */
final class UpstreamCall extends Watchdog.Watched {

  /** Marks the end of the body among the pieces that wait. */
  private static final Object END = new Object();

  /** Marks a failure after the head among the pieces that wait. */
  private record Failed(Throwable cause) {
  }

  private final Promise<UpstreamCall> response;
  private final long idleTimeoutMillis;
  private final long idleTimeoutNanos;
  private UpstreamConnection connection;
  private int status;
  private String contentType;
  private String contentLength;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Buffer> lastHandler;
  private Handler<Throwable> exceptionHandler;
  /** Pieces (and {@link #END}) not delivered yet; null while none wait. */
  private ArrayDeque<Object> waiting;
  private boolean paused;
  private boolean done;
  private boolean reset;
  private long lastActivityNanos;
  /** Sends the request again on a new connection; null once used, or once the answer has begun. */
  private Runnable resend;

  UpstreamCall(ContextInternal context, long idleTimeoutMillis) {
    this.response = context.promise();
    this.idleTimeoutMillis = idleTimeoutMillis;
    this.idleTimeoutNanos = idleTimeoutMillis * 1_000_000;
  }

  /** Completes with this call once the answer's status and headers are in. */
  Future<UpstreamCall> response() {
    return response.future();
  }

  int statusCode() {
    return status;
  }

  /** The answer's {@code Content-Type}, or null. */
  String contentType() {
    return contentType;
  }

  /** The answer's {@code Content-Length}, or null. */
  String contentLength() {
    return contentLength;
  }

  UpstreamCall handler(Handler<Buffer> handler) {
    this.handler = handler;
    deliverWaiting();
    return this;
  }

  UpstreamCall endHandler(Handler<Void> handler) {
    this.endHandler = handler;
    deliverWaiting();
    return this;
  }

  /**
   * Takes the body's last piece together with its end, when they arrive together and nothing waits
   * before them (a body of known length read whole in one go): then neither {@link #handler} nor
   * {@link #endHandler} is called for them. Otherwise they come as a piece and an end.
   */
  UpstreamCall lastHandler(Handler<Buffer> handler) {
    this.lastHandler = handler;
    return this;
  }

  UpstreamCall exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    deliverWaiting();
    return this;
  }

  /** Stops delivering pieces, and reading from the backend, until {@link #resume()}. */
  void pause() {
    paused = true;
    if (connection != null && !done) {
      connection.reading(false);
    }
  }

  void resume() {
    paused = false;
    deliverWaiting();
    if (!paused && connection != null && !done) {
      connection.reading(true);
    }
  }

  /**
   * Gives up on the call: its connection is closed, and a {@link #response()} still pending fails.
   * No handler is called afterwards.
   */
  void reset() {
    if (reset) {
      return;
    }
    reset = true;
    boolean wasDone = done;
    finish();
    waiting = null;
    if (connection != null && !wasDone) {
      connection.abandon(this);
    }
    response.tryFail(new IOException("the request was reset"));
  }

  boolean isReset() {
    return reset;
  }

  // ---- called by the connection ----

  /** How to send the request again if the pooled connection it went out on turns out to be dead. */
  void resendWith(Runnable action) {
    resend = action;
  }

  /**
   * The connection carrying this call was lost before any byte of the answer: sends the request again
   * on a new connection, once.
   *
   * @return whether it was sent again; if not, the caller fails the call
   */
  boolean resendOnce() {
    Runnable action = resend;
    if (action == null || reset || done) {
      return false;
    }
    resend = null;
    // Silence is timed only while a connection carries the call; the next one starts the clock again.
    connection = null;
    action.run();
    return true;
  }

  void attach(UpstreamConnection carrier) {
    connection = carrier;
    lastActivityNanos = System.nanoTime();
  }

  void head(int statusCode, HttpHeaders headers) {
    lastActivityNanos = System.nanoTime();
    resend = null;
    status = statusCode;
    contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
    contentLength = headers.get(HttpHeaderNames.CONTENT_LENGTH);
    response.tryComplete(this);
  }

  /**
   * A piece of the body. Pooled memory (what Netty reads into) is copied once into a heap buffer, as
   * Vert.x does with what it reads, since the piece may wait here or in the client's write queue.
   */
  void data(ByteBuf content) {
    if (reset) {
      return;
    }
    lastActivityNanos = System.nanoTime();
    Buffer piece = BufferInternal.safeBuffer(content.retain());
    if (waiting != null || paused || handler == null) {
      waitFor(piece);
    } else {
      handler.handle(piece);
    }
  }

  /** The body's end, with its last piece when that came with it ({@code content} may be empty). */
  void last(ByteBuf content) {
    if (reset) {
      return;
    }
    if (!content.isReadable()) {
      end();
      return;
    }
    if (lastHandler == null || waiting != null || paused) {
      data(content);
      end();
      return;
    }
    finish();
    lastHandler.handle(BufferInternal.safeBuffer(content.retain()));
  }

  void end() {
    if (reset) {
      return;
    }
    finish();
    if (waiting != null || paused || endHandler == null) {
      waitFor(END);
    } else {
      endHandler.handle(null);
    }
  }

  /**
   * Fails a pending {@link #response()}; after the head, reaches the exception handler once the
   * pieces before it are delivered (and, if none is set yet, once it is).
   */
  void fail(Throwable cause) {
    if (reset || done) {
      return;
    }
    finish();
    if (response.tryFail(cause)) {
      waiting = null;
    } else if (waiting != null || paused || exceptionHandler == null) {
      waitFor(new Failed(cause));
    } else {
      exceptionHandler.handle(cause);
    }
  }

  private void finish() {
    done = true;
    resend = null;
    unwatch();
  }

  private void waitFor(Object piece) {
    if (waiting == null) {
      waiting = new ArrayDeque<>(4);
    }
    waiting.add(piece);
  }

  private void deliverWaiting() {
    while (waiting != null && !paused && !reset) {
      Object next = waiting.peekFirst();
      if (next == null) {
        waiting = null;
        return;
      }
      if (next == END) {
        if (endHandler == null) {
          return;
        }
        waiting = null;
        endHandler.handle(null);
        return;
      }
      if (next instanceof Failed failed) {
        if (exceptionHandler == null) {
          return;
        }
        waiting = null;
        exceptionHandler.handle(failed.cause());
        return;
      }
      if (handler == null) {
        return;
      }
      waiting.pollFirst();
      handler.handle((Buffer) next);
    }
  }

  /**
   * Checked by the client's watchdog when the call has an idle timeout: a backend that has sent
   * nothing for that long, while a connection carries the call, fails it with a
   * {@link TimeoutException}, and its connection is abandoned.
   */
  @Override
  void tick(long nowNanos) {
    // A call that is done or reset has left the watchdog (finish() unwatches it).
    UpstreamConnection carrier = connection;
    if (carrier == null || nowNanos - lastActivityNanos < idleTimeoutNanos) {
      return;
    }
    fail(new TimeoutException("the backend sent nothing for " + idleTimeoutMillis + " ms"));
    carrier.abandon(this);
  }
}
