package dev.magi.proxy;

import io.vertx.core.buffer.Buffer;

/**
 * Turns a backend's streamed body into client SSE bytes, piece by piece. It only ever emits whole
 * events, so that an error event can always be appended cleanly after a failure.
 * Used on one context only.
 */
interface StreamTranslator {

  /**
   * Takes the next piece of the upstream body.
   *
   * @return SSE bytes for the client (whole events only), possibly empty
   */
  Buffer push(Buffer piece);

  /** Whether any {@code data:} event has been emitted (comments do not count). */
  boolean sawEvent();

  /**
   * How many tokens the stream said it used (its usage chunk, or llama-server's {@code timings} on its
   * last chunk), once it has ended; null when it said nothing of it.
   */
  TokenCounts tokens();

  /**
   * Whether the answer is complete before the upstream body is (a client face met its stop sequence):
   * the exchange then ends the stream with {@link #finish()} and resets the upstream request.
   */
  default boolean complete() {
    return false;
  }

  /**
   * The upstream body ended normally.
   *
   * @return the last bytes for the client: nothing when the stream was complete, an error event when
   *     it ended early (no {@code [DONE]} and no error event)
   */
  Buffer finish();
}
