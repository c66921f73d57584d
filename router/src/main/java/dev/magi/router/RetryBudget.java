package dev.magi.router;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds retries so that a failing backend cannot double the load on the others (after Envoy's and
 * Finagle's retry budgets): retries under way may be at most 20 % of the requests under way, but
 * 3 are always allowed. Thread-safe.
 */
public final class RetryBudget {

  /** Share of the active requests that may be retries. */
  public static final double RATIO = 0.2;
  /** Retries always allowed, however few requests are active. */
  public static final int MINIMUM = 3;

  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger retrying = new AtomicInteger();

  /** A request began. */
  public void requestStarted() {
    active.incrementAndGet();
  }

  /** A request ended (whether or not it was retried). */
  public void requestEnded() {
    active.decrementAndGet();
  }

  /**
   * Asks to retry one request.
   *
   * @return true when the budget allows it; the caller must then call {@link #retryEnded()} once
   */
  public boolean tryRetry() {
    while (true) {
      int current = retrying.get();
      int allowed = Math.max(MINIMUM, (int) (active.get() * RATIO));
      if (current >= allowed) {
        return false;
      }
      if (retrying.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  /** A retry allowed by {@link #tryRetry()} is over. */
  public void retryEnded() {
    retrying.decrementAndGet();
  }

  /** Requests under way. */
  public int active() {
    return active.get();
  }

  /** Retries under way. */
  public int retrying() {
    return retrying.get();
  }
}
