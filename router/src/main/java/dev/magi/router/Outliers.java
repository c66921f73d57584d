package dev.magi.router;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Passive health of one endpoint, from what requests experience (after Envoy's outlier detection):
 * <ul>
 *   <li>A refused or reset connection, or a death in the middle of a stream, ejects at once: nothing
 *       is listening any more.</li>
 *   <li>{@link #CONSECUTIVE_FAILURES} failures in a row (5xx, malformed answers) eject too.</li>
 *   <li>An ejection lasts 30 s × the number of times ejected, at most 300 s. After that the endpoint
 *       stays out until an active health check passes; then, for {@link #SLOW_START}, it gets only a
 *       growing share of its slots.</li>
 * </ul>
 * A backend's own 429 or 503 (its queue is full, it is loading) is load, not failure: not counted.
 * Thread-safe; time comes from an injected nanosecond clock.
 */
public final class Outliers {

  /** Failures in a row that eject. */
  public static final int CONSECUTIVE_FAILURES = 5;
  /** The first ejection's length; each further ejection adds as much. */
  public static final Duration BASE_EJECTION = Duration.ofSeconds(30);
  /** The longest ejection. */
  public static final Duration MAX_EJECTION = Duration.ofSeconds(300);
  /** How long a readmitted endpoint takes to get its full share. */
  public static final Duration SLOW_START = Duration.ofSeconds(30);

  private final LongSupplier nanoClock;
  private int consecutiveFailures;
  private int ejections;
  private boolean ejected;
  private long ejectedUntil;
  private long readmittedAt = Long.MIN_VALUE;

  /** @param nanoClock monotonic time in nanoseconds ({@code System::nanoTime} outside tests) */
  public Outliers(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  /** A request succeeded: the run of failures is over. */
  public synchronized void success() {
    consecutiveFailures = 0;
  }

  /** A request failed in a way that may be passing (a 5xx, a malformed answer). */
  public synchronized void failure() {
    if (++consecutiveFailures >= CONSECUTIVE_FAILURES) {
      eject();
    }
  }

  /** The endpoint is not there (connection refused or reset, died mid-stream): out at once. */
  public synchronized void gone() {
    eject();
  }

  private void eject() {
    consecutiveFailures = 0;
    if (ejected) {
      return;
    }
    ejections++;
    ejected = true;
    long length = Math.min(MAX_EJECTION.toNanos(), BASE_EJECTION.toNanos() * ejections);
    ejectedUntil = nanoClock.getAsLong() + length;
  }

  /** An active health check passed: an ejection that has run its time ends now, with a slow start. */
  public synchronized void checkPassed() {
    long now = nanoClock.getAsLong();
    if (ejected && now - ejectedUntil >= 0) {
      ejected = false;
      readmittedAt = now;
    }
  }

  /** Whether requests must not go to the endpoint. */
  public synchronized boolean isEjected() {
    return ejected;
  }

  /** How many times the endpoint was ejected. */
  public synchronized int ejections() {
    return ejections;
  }

  /**
   * The share of its slots the endpoint may use: 1 normally; during the slow start after a
   * readmission, rising from 0.1 to 1.
   */
  public synchronized double share() {
    if (readmittedAt == Long.MIN_VALUE) {
      return 1.0;
    }
    double elapsed = (double) (nanoClock.getAsLong() - readmittedAt) / SLOW_START.toNanos();
    return elapsed >= 1.0 ? 1.0 : Math.max(0.1, elapsed);
  }
}
