package dev.magi.proxy;

import dev.magi.router.Backend;

/**
 * One attempt of an exchange: its request sent to one backend, from the lease the admission queue
 * granted until that lease is given back. It is the exchange's one hold on the router. The lease is
 * released exactly once, by {@link #end}, whatever ends the attempt (an answer relayed, a failure, a
 * deadline, the client leaving, a stopping gateway); and what happens to the backend, with the times
 * measured from the moment the request was sent, is told to the exchange's observer, which the
 * router's own feedback is part of.
 *
 * <p>Confined to the exchange's event loop, like the exchange.
 */
final class Attempt {

  private final Backend.Lease lease;
  private final ExchangeObserver observer;
  private final long sentAtNanos;
  private boolean firstEventTold;
  private boolean ended;

  /**
   * Starts an attempt on the backend of {@code lease} and tells the observer it was sent.
   *
   * @param number which attempt of its exchange this is, from 1
   */
  Attempt(Backend.Lease lease, int number, ExchangeObserver observer) {
    this.lease = lease;
    this.observer = observer;
    this.sentAtNanos = System.nanoTime();
    observer.sent(lease.backend(), number, sentAtNanos);
  }

  /** When the request was sent ({@link System#nanoTime()}). */
  long sentAtNanos() {
    return sentAtNanos;
  }

  /**
   * The backend answered with a status that will be relayed: it did its part, and its first byte came
   * now. A non-streamed answer's head is also its first event.
   */
  void answered(boolean streaming) {
    long sinceSent = System.nanoTime() - sentAtNanos;
    observer.outcome(lease.backend(), AttemptPolicy.Outcome.ANSWERED);
    observer.firstByte(lease.backend(), sinceSent);
    if (!streaming) {
      firstEventTold = true;
      observer.firstEvent(lease.backend(), sinceSent);
    }
  }

  /** The first event of a stream came now; later calls do nothing. */
  void firstEvent() {
    if (!firstEventTold) {
      firstEventTold = true;
      observer.firstEvent(lease.backend(), System.nanoTime() - sentAtNanos);
    }
  }

  /**
   * Ends the attempt, the first time only (later calls do nothing): the {@code outcome}, when there is
   * one, is told, and the lease released.
   *
   * @param outcome what the backend did, or null when nothing more is to be said of it (its answer was
   *     relayed, or the attempt was abandoned for a reason of the client's or the gateway's)
   */
  void end(AttemptPolicy.Outcome outcome) {
    if (ended) {
      return;
    }
    ended = true;
    if (outcome != null) {
      observer.outcome(lease.backend(), outcome);
    }
    lease.release();
  }

  boolean ended() {
    return ended;
  }
}
