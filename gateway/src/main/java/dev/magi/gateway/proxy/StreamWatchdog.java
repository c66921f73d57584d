package dev.magi.gateway.proxy;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps time for every open stream of one event loop with a single periodic timer, instead of
 * scheduling and cancelling timers per stream (each costs a priority-queue insertion and removal on
 * the event loop; JFR showed them on the streaming hot path). Each tick asks every watched stream
 * whether one of its deadlines has passed, and drops the streams that have finished: a tick allocates
 * nothing, which matters with thousands of streams held open. Used on one context only.
 */
final class StreamWatchdog {

  /** Tick length: the granularity of first-event, keep-alive and silence timeouts. */
  static final long TICK_MILLIS = 50;

  /** A stream with deadlines. */
  interface Watched {
    /** Checks the deadlines against {@code nowNanos}; acts on any that passed. */
    void tick(long nowNanos);

    /** Whether the stream is over; it is then dropped at the next tick. */
    boolean finished();
  }

  private final List<Watched> watched = new ArrayList<>();

  StreamWatchdog(Vertx vertx) {
    vertx.setPeriodic(TICK_MILLIS, id -> tick());
  }

  /** Watches {@code stream} until it reports itself finished. */
  void watch(Watched stream) {
    watched.add(stream);
  }

  private void tick() {
    if (watched.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    int kept = 0;
    // Streams watched during this loop are appended, and visited in it too (harmlessly early).
    for (int i = 0; i < watched.size(); i++) {
      Watched stream = watched.get(i);
      if (stream.finished()) {
        continue;
      }
      stream.tick(now);
      watched.set(kept++, stream);
    }
    watched.subList(kept, watched.size()).clear();
  }
}
