package dev.magi.proxy;

import dev.magi.router.Backend;

/**
 * Hears what happens to one proxied request, from the moment it is sent to a backend to its end:
 * write-only hooks, in the manner of Vert.x's {@code InteractionMetrics}. The router's feedback
 * ({@link RouterFeedback}: outlier detection and the latency average), the access log, and metrics
 * listen here; nothing else follows a request into the router. Called on the request's event loop;
 * a hook must not block, and must not throw.
 */
public interface ExchangeObserver {

  /** Hears nothing. */
  ExchangeObserver NONE = new ExchangeObserver() {
  };

  /**
   * The request was sent to {@code backend}.
   *
   * @param attempt 1 for the first backend tried, 2 for the retry
   */
  default void sent(Backend backend, int attempt) {
  }

  /**
   * An attempt ended: what its outcome says of {@code backend} ({@link AttemptPolicy.Outcome#verdict}).
   */
  default void outcome(Backend backend, AttemptPolicy.Outcome outcome) {
  }

  /** The head of {@code backend}'s answer arrived, {@code nanos} after the request was sent. */
  default void firstByte(Backend backend, long nanos) {
  }

  /**
   * The first event of a stream (or the head of a whole answer) arrived from {@code backend},
   * {@code nanos} after the request was sent.
   */
  default void firstEvent(Backend backend, long nanos) {
  }

  /** Stream bytes went out to the client: {@code bytes} of whole events. */
  default void relayed(int bytes) {
  }

  /** The exchange ended with an answer (a whole body, or a stream that ran to its end). */
  default void ended() {
  }

  /**
   * The exchange ended without its answer: with an HTTP error or an error event in a stream, or cut
   * (a body broken off, a client gone).
   *
   * @param code why, in the error codes of Magi's answers ({@code upstream_timeout},
   *     {@code rate_limit_exceeded}, ...), {@code upstream_failed} for a body broken off and
   *     {@code client_closed} for a client that left
   */
  default void failed(String code) {
  }

  /** {@code first}, then {@code second}, for every hook. */
  static ExchangeObserver both(ExchangeObserver first, ExchangeObserver second) {
    if (first == NONE) {
      return second;
    }
    if (second == NONE) {
      return first;
    }
    return new ExchangeObserver() {
      @Override
      public void sent(Backend backend, int attempt) {
        first.sent(backend, attempt);
        second.sent(backend, attempt);
      }

      @Override
      public void outcome(Backend backend, AttemptPolicy.Outcome outcome) {
        first.outcome(backend, outcome);
        second.outcome(backend, outcome);
      }

      @Override
      public void firstByte(Backend backend, long nanos) {
        first.firstByte(backend, nanos);
        second.firstByte(backend, nanos);
      }

      @Override
      public void firstEvent(Backend backend, long nanos) {
        first.firstEvent(backend, nanos);
        second.firstEvent(backend, nanos);
      }

      @Override
      public void relayed(int bytes) {
        first.relayed(bytes);
        second.relayed(bytes);
      }

      @Override
      public void ended() {
        first.ended();
        second.ended();
      }

      @Override
      public void failed(String code) {
        first.failed(code);
        second.failed(code);
      }
    };
  }
}
