package dev.magi.router;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Futures that complete when a condition becomes true, told so by whoever makes it true (a count
 * reaching zero), so that nobody polls. Thread-safe; the futures complete on the thread that fires.
 */
final class Signal {

  private List<Promise<Void>> waiters;

  /**
   * A future that completes once {@code condition} holds: at once when it holds now, else at the
   * first {@link #fire()} after which it holds.
   */
  Future<Void> await(BooleanSupplier condition) {
    if (condition.getAsBoolean()) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    synchronized (this) {
      if (waiters == null) {
        waiters = new ArrayList<>(2);
      }
      waiters.add(promise);
    }
    // The condition may have come true between the check and the add, with its fire already spent.
    if (condition.getAsBoolean()) {
      fire();
    }
    return promise.future();
  }

  /** The condition holds now: completes every waiting future. */
  void fire() {
    List<Promise<Void>> ready;
    synchronized (this) {
      ready = waiters;
      waiters = null;
    }
    if (ready != null) {
      ready.forEach(Promise::tryComplete);
    }
  }
}
