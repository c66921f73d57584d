package dev.magi.gateway.proxy;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps time for every open stream, or every upstream call awaiting its answer, of one event loop
 * with a single periodic timer, instead of scheduling and cancelling a timer per request (each costs
 * a map entry and a priority-queue insertion and removal on the event loop; JFR and async-profiler
 * showed them on the streaming and the non-streaming hot paths). Each tick asks every watched item
 * whether one of its deadlines has passed, and drops the items that have finished: a tick allocates
 * nothing, which matters with thousands of streams held open. Used on one context only.
 */
final class Watchdog {

  /** Tick length: the granularity of first-event, keep-alive, silence and answer timeouts. */
  static final long TICK_MILLIS = 50;

  /** A stream or call with deadlines. */
  interface Watched {
    /** Checks the deadlines against {@code nowNanos}; acts on any that passed. */
    void tick(long nowNanos);

    /** Whether it is over; it is then dropped at the next tick. */
    boolean finished();
  }

  private final List<Watched> watched = new ArrayList<>();
  private final Vertx vertx;
  private final long timerId;

  /** Starts ticking on the calling context. */
  Watchdog(Vertx vertx) {
    this.vertx = vertx;
    this.timerId = vertx.setPeriodic(TICK_MILLIS, id -> tick());
  }

  /** Watches {@code item} until it reports itself finished. */
  void watch(Watched item) {
    watched.add(item);
  }

  /** Stops ticking; deadlines of items still watched are no longer checked. */
  void stop() {
    vertx.cancelTimer(timerId);
  }

  private void tick() {
    if (watched.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    int kept = 0;
    // Items watched during this loop (a retry's call) are appended, and visited in it too (harmlessly early).
    for (int i = 0; i < watched.size(); i++) {
      Watched item = watched.get(i);
      if (item.finished()) {
        continue;
      }
      item.tick(now);
      watched.set(kept++, item);
    }
    watched.subList(kept, watched.size()).clear();
  }
}
