package dev.magi.proxy;

import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ClientFace;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * What the client of one exchange receives: the one place an exchange writes to its response. Used on
 * the response's event loop only.
 * <ul>
 *   <li>A whole answer, or a body piped through as it arrives ({@link #head}, {@link #write},
 *       {@link #end}), with back-pressure: while the client's write queue is full, the upstream is
 *       paused.</li>
 *   <li>A stream: events that arrive before the first whole one are held ({@link #hold}); the 200 goes
 *       out with them ({@link #commitStream}); after that, events are coalesced, every event that
 *       arrives while the event loop is busy leaving in one write and one flush at the end of its turn
 *       ({@link #emit}), not one system call per event; {@code : ping} comments fill silences.</li>
 *   <li>A failure ({@link #fail}): an HTTP error before anything was committed, one error event and a
 *       clean end after (a stream never ends with a bare cut, which a client could take for a complete
 *       answer); both in the shape of the client's {@link ClientFace}.</li>
 *   <li>A whole answer made from a stream ({@link #whole}): a face whose client did not ask for a stream
 *       gets the backend's stream gathered into one body; nothing is committed before its end.</li>
 * </ul>
 */
final class ClientSide {

  // Header names and fixed values made once: Vert.x hashes a String name case-insensitively on every
  // put, an optimized one keeps its hash.
  private static final CharSequence CONTENT_TYPE = HttpHeaders.createOptimized("Content-Type");
  private static final CharSequence CONTENT_LENGTH = HttpHeaders.createOptimized("Content-Length");
  private static final CharSequence CACHE_CONTROL = HttpHeaders.createOptimized("Cache-Control");
  private static final CharSequence ACCEL_BUFFERING = HttpHeaders.createOptimized("X-Accel-Buffering");
  private static final CharSequence NO_CACHE = HttpHeaders.createOptimized("no-cache");
  private static final CharSequence NO = HttpHeaders.createOptimized("no");
  private static final CharSequence EVENT_STREAM = HttpHeaders.createOptimized("text/event-stream");
  private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");

  private final Context context;
  private final HttpServerResponse response;
  private final ClientFace face;
  /** Whether the client gets the stream gathered into one body at its end. */
  private boolean whole;
  private final Handler<Void> flushTask = ignored -> flushUnsent();
  /** The upstream call whose bytes are being written, paused while the client cannot take more. */
  private UpstreamCall source;
  /** Stream bytes before the commit. */
  private final Gathered held = new Gathered();
  /** Stream bytes for the client, written at the end of this event-loop turn. */
  private final Gathered unsent = new Gathered();
  private boolean flushScheduled;
  private boolean committed;
  private long lastPingNanos;

  ClientSide(Context context, HttpServerResponse response, ClientFace face) {
    this.context = context;
    this.response = response;
    this.face = face;
  }

  /** From now on, the stream is gathered into one body, sent at its end ({@link #endStream}). */
  void whole(boolean whole) {
    this.whole = whole;
  }

  /** Whether the stream is being gathered into one body: nothing goes out before its end. */
  boolean whole() {
    return whole;
  }

  /** Whether the status line has been decided: after this, a failure can only be an error event or a cut. */
  boolean committed() {
    return committed;
  }

  /** When the last {@code : ping} went out ({@link System#nanoTime()}), 0 before the first. */
  long lastPingNanos() {
    return lastPingNanos;
  }

  /** Decides the status line of a whole answer or a piped body. */
  void head(int status, CharSequence contentType) {
    committed = true;
    response.setStatusCode(status);
    response.putHeader(CONTENT_TYPE, contentType);
  }

  /** The piped body's length, when the upstream declared one; else the body goes out chunked. */
  void length(String contentLength) {
    if (contentLength != null) {
      response.putHeader(CONTENT_LENGTH, contentLength);
    } else {
      response.setChunked(true);
    }
  }

  /** Writes a piece of a piped body from {@code upstream} at once, pausing {@code upstream} while the client lags. */
  void write(Buffer piece, UpstreamCall upstream) {
    source = upstream;
    writeNow(piece);
  }

  /** Ends a whole answer or a piped body, with {@code last} when it came with the end (else null). */
  void end(Buffer last) {
    if (last == null) {
      response.end();
    } else {
      response.end(last);
    }
  }

  /** Drops the connection: a body cut halfway must not look complete. */
  void cut() {
    response.reset();
  }

  /** Stream bytes that came before the first whole event: kept until the commit. */
  void hold(Buffer out) {
    held.add(out);
  }

  /**
   * Sends the stream's 200 and whatever was held; afterwards stream bytes go out through
   * {@link #emit}. {@code upstream} is paused while the client lags.
   *
   * @return how many held bytes went out with it
   */
  int commitStream(UpstreamCall upstream) {
    if (whole) {
      return 0;
    }
    source = upstream;
    head(200, face == ClientFace.OPENAI ? EVENT_STREAM : face.streamContentType());
    response.putHeader(CACHE_CONTROL, NO_CACHE);
    response.putHeader(ACCEL_BUFFERING, NO);
    response.setChunked(true);
    if (held.isEmpty()) {
      return 0;
    }
    Buffer out = held.take();
    emit(out);
    return out.length();
  }

  /**
   * Queues stream bytes for the client. The first bytes of a turn schedule one flush after the event
   * loop's current I/O: the events of one upstream read (llama-server writes one HTTP chunk per token)
   * then leave in a single write.
   */
  void emit(Buffer out) {
    if (out.length() == 0) {
      return;
    }
    unsent.add(out);
    if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(flushTask);
    }
  }

  /**
   * Sends the face's ping (an SSE comment, which clients ignore) to keep proxies from timing a silent
   * stream out; nothing for a face whose format has none.
   */
  void ping(long now) {
    lastPingNanos = now;
    Buffer ping = face.ping();
    if (ping != null) {
      emit(ping);
    }
  }

  /** Ends the stream with whatever is still queued or held, followed by {@code last}. */
  void endStream(Buffer last) {
    if (whole) {
      head(200, JSON);
      response.end(last);
      return;
    }
    unsent.add(held.take());
    unsent.add(last);
    Buffer out = unsent.take();
    response.end(out == null ? Buffer.buffer() : out);
  }

  /** Answers with {@code error}: an HTTP error before anything was committed, an error event after. */
  void fail(ApiException error) {
    if (committed) {
      endStream(face.errorEvent(error));
    } else {
      ErrorResponses.send(response, error, face);
    }
  }

  /** Ends a stream that broke after its first event: with one error event, or an error answer when gathered whole. */
  void failStream(String code, String message) {
    fail(new ApiException(502, "server_error", null, code, message));
  }

  /** The client is gone: nothing queued is written. */
  void drop() {
    unsent.take();
    held.take();
  }

  private void flushUnsent() {
    flushScheduled = false;
    if (!unsent.isEmpty() && !response.ended() && !response.closed()) {
      writeNow(unsent.take());
    }
  }

  private void writeNow(Buffer out) {
    response.write(out);
    if (response.writeQueueFull() && source != null) {
      UpstreamCall paused = source;
      paused.pause();
      response.drainHandler(ignored -> paused.resume());
    }
  }

  /**
   * Bytes gathered from several pieces, in order. The first piece is kept as it is (it may be a slice
   * of an upstream read, which cannot grow); from the second on they are appended, in place, to a
   * buffer of this gatherer's own that grows by doubling, so that gathering n pieces copies each once.
   */
  static final class Gathered {

    private Buffer bytes;
    private boolean owned;

    void add(Buffer piece) {
      if (piece == null || piece.length() == 0) {
        return;
      }
      if (bytes == null) {
        bytes = piece;
        return;
      }
      if (!owned) {
        bytes = Buffer.buffer(Math.max(1024, 2 * (bytes.length() + piece.length()))).appendBuffer(bytes);
        owned = true;
      }
      bytes.appendBuffer(piece);
    }

    boolean isEmpty() {
      return bytes == null;
    }

    /** What was gathered (null when nothing was), and a fresh start. */
    Buffer take() {
      Buffer taken = bytes;
      bytes = null;
      owned = false;
      return taken;
    }
  }
}
