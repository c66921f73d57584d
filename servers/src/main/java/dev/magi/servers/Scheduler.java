package dev.magi.servers;

import io.vertx.core.Future;
import java.time.Duration;

/** Waits. The real one uses Vert.x timers; tests fire waits by hand. */
@FunctionalInterface
public interface Scheduler {

  /** Completes after {@code delay}, on the caller's context. */
  Future<Void> after(Duration delay);
}
