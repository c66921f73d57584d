package dev.magi.gateway.proxy;

import io.vertx.core.Vertx;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Keeps time for every open stream of one event loop with a single periodic timer, instead of
 * scheduling and cancelling timers per stream (each costs a priority-queue insertion and removal on
 * the event loop; JFR showed them on the streaming hot path). Each tick asks every watched stream
 * whether one of its deadlines has passed. Used on one context only.
 */
final class StreamWatchdog {

  /** Tick length: the granularity of first-event, keep-alive and silence timeouts. */
  static final long TICK_MILLIS = 50;

  /** A stream with deadlines. */
  interface Watched {
    /** Checks the deadlines against {@code nowNanos}; acts on any that passed. */
    void tick(long nowNanos);
  }

  private final Set<Watched> watched = new LinkedHashSet<>();

  StreamWatchdog(Vertx vertx) {
    vertx.setPeriodic(TICK_MILLIS, id -> tick());
  }

  void watch(Watched stream) {
    watched.add(stream);
  }

  void unwatch(Watched stream) {
    watched.remove(stream);
  }

  private void tick() {
    if (watched.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    for (Watched stream : watched.toArray(new Watched[0])) {
      stream.tick(now);
    }
  }
}
