package dev.magi.proxy;

import dev.magi.router.AdmissionException;
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
   * The request is served as {@code modelId}: the id of the model's pool, or the configured name of a
   * model being loaded for it. Told before anything else, and not at all when no model serves the
   * name the client asked for.
   */
  default void routed(String modelId) {
  }

  /** The request waited {@code nanos} for its model to load, or for a backend's slot. */
  default void waited(long nanos) {
  }

  /** The model's admission queue refused the request, for {@code reason}. */
  default void refused(AdmissionException.Reason reason) {
  }

  /**
   * The request was sent to {@code backend}.
   *
   * @param attempt 1 for the first backend tried, 2 for the retry
   * @param atNanos when ({@link System#nanoTime()})
   */
  default void sent(Backend backend, int attempt, long atNanos) {
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

  /**
   * Stream bytes went out to the client: {@code bytes} of whole events, from a piece of the backend's
   * stream that arrived at {@code arrivedNanos} ({@link System#nanoTime()}), on which the gateway spent
   * {@code spentNanos} before handing it to the client's connection.
   */
  default void relayed(int bytes, long arrivedNanos, long spentNanos) {
  }

  /**
   * The backend's answer said how many tokens it used: from its {@code usage}, or from llama-server's
   * {@code timings} when there is no {@code usage}. Told at most once, before the end; not at all when
   * the answer said neither.
   */
  default void usage(long promptTokens, long completionTokens) {
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
   * @param message what the client was told, null when it was told nothing (it left, or its connection was cut)
   */
  default void failed(String code, String message) {
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
      public void routed(String modelId) {
        first.routed(modelId);
        second.routed(modelId);
      }

      @Override
      public void waited(long nanos) {
        first.waited(nanos);
        second.waited(nanos);
      }

      @Override
      public void refused(AdmissionException.Reason reason) {
        first.refused(reason);
        second.refused(reason);
      }

      @Override
      public void sent(Backend backend, int attempt, long atNanos) {
        first.sent(backend, attempt, atNanos);
        second.sent(backend, attempt, atNanos);
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
      public void relayed(int bytes, long arrivedNanos, long spentNanos) {
        first.relayed(bytes, arrivedNanos, spentNanos);
        second.relayed(bytes, arrivedNanos, spentNanos);
      }

      @Override
      public void usage(long promptTokens, long completionTokens) {
        first.usage(promptTokens, completionTokens);
        second.usage(promptTokens, completionTokens);
      }

      @Override
      public void ended() {
        first.ended();
        second.ended();
      }

      @Override
      public void failed(String code, String message) {
        first.failed(code, message);
        second.failed(code, message);
      }
    };
  }
}
