package dev.magi.proxy.api;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Brings a future's outcome back to the event loop of the request that waits for it.
 *
 * <p>Futures of other components (the database pool, the model-server fleet, profile switches) run
 * their callbacks on the context that completed them, often another event loop. A response may only
 * be touched from its connection's own event loop: the HTTP server runs in Vert.x's strict thread mode,
 * where a write from any other thread throws, and the proxy's per-loop state has no locks.
 */
public final class CallerContext {

  private CallerContext() {
  }

  /**
   * {@code future}'s outcome, delivered on the calling context's thread: at once when it completes
   * there, otherwise as a task on that context. Call it on the request's event loop.
   */
  public static <T> Future<T> resume(Future<T> future) {
    Context caller = Vertx.currentContext();
    if (caller == null) {
      return future;
    }
    Thread callerThread = Thread.currentThread();
    Promise<T> promise = Promise.promise();
    future.onComplete(outcome -> {
      if (Thread.currentThread() == callerThread) {
        promise.handle(outcome);
      } else {
        caller.runOnContext(ignored -> promise.handle(outcome));
      }
    });
    return promise.future();
  }
}
