package dev.magi.gateway;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * How a running gateway stops when it is told to (SIGTERM, or SIGINT from a terminal), like Envoy's
 * drain:
 * <ol>
 *   <li>{@code /readyz} turns 503 and the listener stops taking connections;</li>
 *   <li>requests and streams in flight run to their end for up to {@code server.drain_timeout};</li>
 *   <li>what is still open then is cut: a stream gets one {@code server_shutting_down} error event and
 *       a clean end, a request not answered yet a 503;</li>
 *   <li>model servers drain and stop;</li>
 *   <li>the JVM exits, the last log line saying how many requests were drained and how many cut.</li>
 * </ol>
 * A second signal skips the wait (what is open is cut at once); a third exits at once. Each step is
 * logged while it happens: the stop runs on its own thread before the JVM's exit begins, so the
 * logging system is still whole (the JVM's shutdown hooks run in no order, and the one of
 * {@code java.util.logging} resets every handler).
 */
final class GracefulStop {

  private static final Logger LOG = Logger.getLogger(GracefulStop.class.getName());

  private final Gateway gateway;
  private final Vertx vertx;
  private final Duration drainTimeout;
  private final Duration serversTimeout;
  private final AtomicInteger signals = new AtomicInteger();
  private final Promise<Void> hurry = Promise.promise();
  private final Runnable exit;

  /**
   * @param drainTimeout how long requests in flight may take ({@code server.drain_timeout})
   * @param serversTimeout how long stopping the model servers may take before they are killed
   * @param exit ends the process once everything is stopped
   */
  GracefulStop(Gateway gateway, Vertx vertx, Duration drainTimeout, Duration serversTimeout, Runnable exit) {
    this.gateway = gateway;
    this.vertx = vertx;
    this.drainTimeout = drainTimeout;
    this.serversTimeout = serversTimeout;
    this.exit = exit;
  }

  /** Installs the handlers of SIGTERM and SIGINT, in place of the JVM's immediate exit. */
  void install() {
    for (String name : new String[] {"TERM", "INT"}) {
      sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> signalled("SIG" + signal.getName()));
    }
  }

  /** Whether a stop signal has come: the stop is then this object's to finish. */
  boolean started() {
    return signals.get() > 0;
  }

  /** Reacts to the {@code n}th stop signal: the first starts the stop, the second hurries it, the third exits. */
  void signalled(String signal) {
    int count = signals.incrementAndGet();
    if (count == 1) {
      Thread stopping = new Thread(() -> run(signal), "magi-stop");
      stopping.start();
    } else if (count == 2) {
      LOG.warning(signal + " again: cutting the requests still in flight now");
      hurry.tryComplete();
    } else {
      LOG.warning(signal + " a third time: exiting now");
      Runtime.getRuntime().halt(1);
    }
  }

  private void run(String signal) {
    long began = System.nanoTime();
    LOG.info(signal + ": stopping. /readyz answers 503, no new connections; requests in flight have "
        + drainTimeout.toSeconds() + " s to finish (server.drain_timeout; a second " + signal + " cuts them now)");
    Gateway.Drained drained = new Gateway.Drained(0, 0);
    try {
      drained = gateway.drain(drainTimeout, hurry.future()).toCompletionStage().toCompletableFuture()
          .get(drainTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
      LOG.info("client connections closed: " + drained.finished() + " requests ran to their end, "
          + drained.cut() + " cut");
    } catch (Exception e) {
      LOG.warning("client connections did not all close in time: " + e);
    }
    LOG.info("stopping model servers");
    try {
      gateway.stop().toCompletionStage().toCompletableFuture().get(serversTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warning("model servers did not all stop in time; killing what is left");
      gateway.models().close();
    }
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warning("Vert.x did not close in time: " + e);
    }
    LOG.info(String.format("stopped in %.1f s: %d requests drained, %d cut",
        (System.nanoTime() - began) / 1e9, drained.finished(), drained.cut()));
    exit.run();
  }
}
