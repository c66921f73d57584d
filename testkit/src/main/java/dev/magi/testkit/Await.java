package dev.magi.testkit;

import io.vertx.core.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for a Vert.x future, or a condition, from a test thread (never from an event loop). */
public final class Await {

  private Await() {
  }

  /**
   * Blocks the calling thread until {@code future} completes, at most 30 seconds.
   *
   * @return the future's result
   * @throws IllegalStateException when the future failed or did not complete in time
   */
  public static <T> T result(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("no result within 30 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Blocks until {@code future} fails, at most 30 seconds.
   *
   * @return the failure
   * @throws IllegalStateException when the future succeeded or did not complete in time
   */
  public static Throwable failure(Future<?> future) {
    try {
      Object value = future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      throw new IllegalStateException("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      throw new IllegalStateException("no result within 30 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Checks {@code condition} every 5 ms until it holds, at most 60 seconds (a busy machine is slow,
   * and the wait ends as soon as the event has happened).
   *
   * @throws AssertionError naming {@code what} when it did not hold in time
   */
  public static void until(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(5);
    }
  }
}
