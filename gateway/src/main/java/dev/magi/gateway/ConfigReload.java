package dev.magi.gateway;

import dev.magi.gateway.config.ConfigChanges;
import dev.magi.gateway.config.ConfigException;
import dev.magi.gateway.config.MagiConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.logging.Logger;

/**
 * Re-reads the configuration and puts it into force ({@link Gateway#reload}) when asked: by
 * {@code POST /api/config/reload}, by {@code SIGHUP}, and, with {@code config.watch: true}, when the
 * file changes. A file that does not load (invalid YAML, a bad value) changes nothing: the running
 * configuration stays, and the problem is reported with its field path.
 */
final class ConfigReload {

  private static final Logger LOG = Logger.getLogger(ConfigReload.class.getName());
  /** How often the file is looked at when watched. */
  static final long WATCH_MILLIS = 1000;

  private final Vertx vertx;
  private final Gateway gateway;
  private final Callable<MagiConfig> source;
  private final Optional<Path> file;
  private Object seen;

  /**
   * @param source reads and validates the configuration (blocking: it is called on a worker)
   * @param file the file {@code source} reads, to watch; empty when there is none
   */
  ConfigReload(Vertx vertx, Gateway gateway, Callable<MagiConfig> source, Optional<Path> file) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.source = source;
    this.file = file;
  }

  /**
   * Reads the configuration and applies it.
   *
   * @param trigger what asked, for the log
   * @return what changed; a failed future with a {@link ConfigException} when the configuration is invalid
   */
  Future<ConfigChanges> reload(String trigger) {
    return vertx.executeBlocking(source::call, false)
        .recover(failure -> {
          LOG.warning(() -> "configuration not reloaded (" + trigger + "), the running one stays: "
              + failure.getMessage());
          return Future.failedFuture(failure instanceof ConfigException ? failure
              : new ConfigException("", String.valueOf(failure.getMessage())));
        })
        .compose(gateway::reload)
        .onSuccess(changes -> LOG.info(() -> "configuration reloaded (" + trigger + "): " + changes.describe()));
  }

  /**
   * Reloads on {@code SIGHUP}. A process started with SIGHUP ignored ({@code nohup}) keeps ignoring
   * it: the JVM installs no handler then, so this says so, and the other ways to reload remain.
   */
  void installSignal() {
    sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> reload("SIGHUP"));
    if (before == sun.misc.SignalHandler.SIG_IGN) {
      LOG.warning("SIGHUP is ignored by this process (started under nohup?), so it does not reload the "
          + "configuration; use POST /api/config/reload or config.watch: true");
    }
  }

  /**
   * Looks at the file every {@link #WATCH_MILLIS} and reloads when its modification time or size
   * changed, while {@code config.watch} is on (it may be turned on or off by a reload).
   */
  void startWatching() {
    if (file.isEmpty()) {
      return;
    }
    seen = stamp(file.get());
    vertx.setPeriodic(WATCH_MILLIS, id -> {
      if (!gateway.config().watchFile()) {
        return;
      }
      vertx.executeBlocking(() -> stamp(file.get()), false).onSuccess(now -> {
        if (!now.equals(seen)) {
          seen = now;
          reload("the file changed");
        }
      });
    });
  }

  /** The file's modification time and size, or a marker when it cannot be read. */
  private static Object stamp(Path path) {
    try {
      return Files.getLastModifiedTime(path).toMillis() + ":" + Files.size(path);
    } catch (java.io.IOException e) {
      return "unreadable";
    }
  }
}
