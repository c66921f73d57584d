package dev.magi.proxy;

import io.vertx.core.Vertx;

/**
 * Keeps time for every open stream, or every upstream call awaiting its answer, of one event loop
 * with a single periodic timer, instead of scheduling and cancelling a timer per request (each costs
 * a map entry and a priority-queue insertion and removal on the event loop; JFR and async-profiler
 * showed them on the streaming and the non-streaming hot paths). Each tick asks every watched item
 * whether one of its deadlines has passed; a tick allocates nothing, which matters with thousands of
 * streams held open.
 *
 * <p>Items are linked into the watchdog itself, and an item that is over leaves at once
 * ({@link Watched#unwatch()}): a finished request must not stay reachable until the next tick, or
 * at 20,000 requests a second a tick's worth of them would survive young collections. Used on one
 * context only.
 */
final class Watchdog {

  /** Tick length: the granularity of first-event, keep-alive, silence and answer timeouts. */
  static final long TICK_MILLIS = 50;

  /** A stream or call with deadlines; linked into at most one watchdog at a time. */
  abstract static class Watched {
    private Watchdog owner;
    private Watched previous;
    private Watched next;

    /** Checks the deadlines against {@code nowNanos}; acts on any that passed. */
    abstract void tick(long nowNanos);

    /**
     * Ends this item at once with {@code error}, for a gateway that stops.
     *
     * @return whether there was anything to end; false by default
     */
    boolean cut(dev.magi.proxy.api.ApiException error) {
      return false;
    }

    /** Whether this is being watched. */
    final boolean watched() {
      return owner != null;
    }

    /** Stops being watched, if it was; call it once the item is over. */
    final void unwatch() {
      if (owner != null) {
        owner.remove(this);
      }
    }
  }

  private final Vertx vertx;
  private final long timerId;
  private Watched first;
  private Watched last;
  /** The item a tick visits next; moved on when that item leaves during the tick. */
  private Watched cursor;

  /** Starts ticking on the calling context. */
  Watchdog(Vertx vertx) {
    this.vertx = vertx;
    this.timerId = vertx.setPeriodic(TICK_MILLIS, id -> tick());
  }

  /** Watches {@code item} until it {@link Watched#unwatch() leaves}; nothing if it is watched already. */
  void watch(Watched item) {
    if (item.owner != null) {
      return;
    }
    item.owner = this;
    item.previous = last;
    item.next = null;
    if (last == null) {
      first = item;
    } else {
      last.next = item;
    }
    last = item;
  }

  /** Stops ticking; deadlines of items still watched are no longer checked. */
  void stop() {
    vertx.cancelTimer(timerId);
  }

  private void remove(Watched item) {
    if (cursor == item) {
      cursor = item.next;
    }
    if (item.previous == null) {
      first = item.next;
    } else {
      item.previous.next = item.next;
    }
    if (item.next == null) {
      last = item.previous;
    } else {
      item.next.previous = item.previous;
    }
    item.owner = null;
    item.previous = null;
    item.next = null;
  }

  /**
   * Cuts every watched item with {@code error} ({@link Watched#cut}).
   *
   * @return how many items had something to end
   */
  int cutAll(dev.magi.proxy.api.ApiException error) {
    int count = 0;
    for (Watched item = first; item != null; item = cursor) {
      cursor = item.next;
      if (item.cut(error)) {
        count++;
      }
    }
    cursor = null;
    return count;
  }

  private void tick() {
    if (first == null) {
      return;
    }
    long now = System.nanoTime();
    // An item may leave, or others join (a retry's call, at the end), while it is ticked.
    for (Watched item = first; item != null; item = cursor) {
      cursor = item.next;
      item.tick(now);
    }
    cursor = null;
  }
}
