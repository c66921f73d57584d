package dev.magi.servers;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;

/** Waits with Vert.x timers. */
public final class VertxScheduler implements Scheduler {

  private final Vertx vertx;

  public VertxScheduler(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public Future<Void> after(Duration delay) {
    Promise<Void> done = Promise.promise();
    vertx.setTimer(Math.max(1, delay.toMillis()), id -> done.complete());
    return done.future();
  }
}
