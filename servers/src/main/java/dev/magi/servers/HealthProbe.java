package dev.magi.servers;

import io.vertx.core.Future;

/** Asks a llama-server on a local port whether it is ready. */
@FunctionalInterface
public interface HealthProbe {

  /**
   * @return the HTTP status of {@code GET /health} (200 ready, 503 loading), or a failed future when
   *     nothing answers (not bound yet, or gone)
   */
  Future<Integer> status(int port);
}
