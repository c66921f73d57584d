package dev.magi.gateway.proxy;

import dev.magi.router.Backend;

/**
 * Hears which backend a proxied request is sent to: once per attempt, so after a retry the last call
 * names the backend that answered (or failed last). Called on the request's event loop; must not
 * block. The access log's entry is one: its line names the backend.
 */
@FunctionalInterface
public interface AttemptListener {

  /**
   * @param backend the backend the request is being sent to
   * @param attempt 1 for the first backend tried, 2 for the retry
   */
  void attempted(Backend backend, int attempt);
}
