package dev.magi.gateway;

import dev.magi.cluster.LoadLocks;
import dev.magi.models.ModelLifecycle;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendPool;
import dev.magi.router.BackendType;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Loading a cold model once in the cluster. Before this node loads a model of its own on request, it
 * takes the model's lock ({@link LoadLocks}): holding it, it loads (and lets go once the load has
 * ended); when another node holds it, this node waits for the model to appear on that node (its pool
 * gains that node as a member at the next heartbeats) and serves the request through it. Redis being
 * away, or the other node not showing the model in time, makes this node load the model itself: a
 * second copy is better than a failed request.
 *
 * <p>A node that cannot load a model at all (its file is elsewhere) needs none of this: its pool for a
 * cold model holds the node that can load it with the most memory left ({@code ClusterNode}).
 */
final class ClusterPlacement {

  private static final Logger LOG = Logger.getLogger(ClusterPlacement.class.getName());
  /** How often the directory is looked at while waiting for another node's load. */
  static final long POLL_MILLIS = 100;

  private final Vertx vertx;
  private final LoadLocks locks;
  private final BackendDirectory directory;
  private final ModelLifecycle lifecycle;
  /** How long a load may take: the lock's hold, and the longest wait for another node's load. */
  private final Duration loadTime;

  ClusterPlacement(Vertx vertx, LoadLocks locks, BackendDirectory directory, ModelLifecycle lifecycle,
      Duration loadTime) {
    this.vertx = vertx;
    this.locks = locks;
    this.directory = directory;
    this.lifecycle = lifecycle;
    this.loadTime = loadTime;
  }

  /**
   * The pool of {@code model} once it can serve, loaded here or on the node that took its lock.
   *
   * @param local this node's own load (the lifecycle's), called at most once
   * @return what {@code local} returns for a model that is not this node's to load; else the pool
   */
  Optional<Future<BackendPool>> load(String model, Supplier<Optional<Future<BackendPool>>> local) {
    if (lifecycle.view(model).isEmpty()) {
      return local.get();
    }
    String id = lifecycle.view(model).get().entry().id();
    return Optional.of(locks.take(id, loadTime.toMillis()).transform(taken -> {
      if (taken.failed()) {
        LOG.fine(() -> "cluster: no lock for " + id + " (" + taken.cause().getMessage() + "); loading it here");
        return here(local);
      }
      if (taken.result().isEmpty()) {
        return here(local).andThen(done -> locks.release(id));
      }
      String holder = taken.result().get();
      LOG.info(() -> "cluster: " + holder + " is loading " + id + "; this request waits for it there");
      Promise<BackendPool> there = Promise.promise();
      await(model, System.nanoTime() + loadTime.toNanos(), there, local);
      return there.future();
    }));
  }

  private static Future<BackendPool> here(Supplier<Optional<Future<BackendPool>>> local) {
    return local.get().orElseGet(() -> Future.failedFuture(new IllegalStateException("the model is gone")));
  }

  /** Completes {@code there} with the model's pool once another node serves it, or loads it here at the deadline. */
  private void await(String model, long deadline, Promise<BackendPool> there,
      Supplier<Optional<Future<BackendPool>>> local) {
    Optional<BackendPool> pool = directory.routes().resolve(model);
    if (pool.isPresent() && pool.get().backends().stream()
        .anyMatch(backend -> backend.endpoint().type() == BackendType.MAGI)) {
      there.tryComplete(pool.get());
      return;
    }
    if (pool.isPresent() || System.nanoTime() > deadline) {
      // Served here after all (a profile started it), or the other node did not show it in time.
      here(local).onComplete(there);
      return;
    }
    vertx.setTimer(POLL_MILLIS, again -> await(model, deadline, there, local));
  }
}
