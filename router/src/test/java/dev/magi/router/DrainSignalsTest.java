package dev.magi.router;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Drains wait for events: the last lease released, the last waiter served. */
class DrainSignalsTest {

  private static final Endpoint A = Endpoint.of(BackendType.OPENAI, "http://127.0.0.1:1", null);

  @Test
  void aBackendIsIdleWhenItsLastLeaseIsReleased() {
    Backend backend = new Backend(A, "m", "m", 2);
    assertTrue(backend.whenIdle().isComplete(), "idle at once with nothing in flight");
    Backend.Lease first = backend.begin();
    Backend.Lease second = backend.begin();
    Future<Void> idle = backend.whenIdle();

    first.release();
    assertFalse(idle.isComplete());
    second.release();
    assertTrue(idle.succeeded());
  }

  @Test
  void aQueueIsEmptyWhenItsLastWaiterIsServed() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      BackendDirectory directory = new BackendDirectory(model -> LoadBalancer.LEAST_OUTSTANDING,
          new AdmissionQueue.Limits(8, Duration.ofSeconds(30)));
      directory.replace("config", List.of(new ModelDeclaration("m", List.of(), A, "m", Instant.EPOCH, 1)));
      BackendPool pool = directory.routes().resolve("m").orElseThrow();
      CompletableFuture<Boolean> emptyBefore = new CompletableFuture<>();
      CompletableFuture<Void> emptied = new CompletableFuture<>();
      vertx.runOnContext(v -> {
        pool.queue().acquire(List.of(), vertx).future().onSuccess(lease -> {
          AdmissionQueue.Ticket waiting = pool.queue().acquire(List.of(), vertx);
          Future<Void> empty = pool.queue().whenEmpty();
          emptyBefore.complete(empty.isComplete());
          empty.onSuccess(done -> emptied.complete(null));
          waiting.future().onSuccess(Backend.Lease::release);
          lease.release();
        });
      });
      assertFalse(emptyBefore.get(10, TimeUnit.SECONDS), "one request waits");
      emptied.get(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await();
    }
  }
}
