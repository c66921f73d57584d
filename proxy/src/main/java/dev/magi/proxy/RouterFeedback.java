package dev.magi.proxy;

import dev.magi.router.Backend;

/**
 * What the router learns from each proxied request: each attempt's outcome goes to its backend's
 * outlier detection, and the time to the first event to the backend's latency average (which the
 * load balancer reads). The one place the proxy tells the router how a backend behaved.
 */
final class RouterFeedback implements ExchangeObserver {

  /** Holds no state: one serves every request. */
  static final RouterFeedback INSTANCE = new RouterFeedback();

  private RouterFeedback() {
  }

  @Override
  public void outcome(Backend backend, AttemptPolicy.Outcome outcome) {
    switch (outcome.verdict()) {
      case SUCCESS -> backend.endpoint().outliers().success();
      case FAILURE -> backend.endpoint().outliers().failure();
      case GONE -> backend.endpoint().outliers().gone();
      case NONE -> {
      }
    }
  }

  @Override
  public void firstEvent(Backend backend, long nanos) {
    backend.recordFirstEvent(nanos / 1e6);
  }
}
