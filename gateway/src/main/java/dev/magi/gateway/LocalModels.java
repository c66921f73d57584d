package dev.magi.gateway;

import dev.magi.gateway.config.MagiConfig;
import dev.magi.ports.PortPool;
import dev.magi.ports.PortProbe;
import dev.magi.registry.ModelCatalog;
import dev.magi.registry.ModelScanner;
import dev.magi.router.BackendDirectory;
import dev.magi.servers.HttpHealthProbe;
import dev.magi.servers.ProcessLauncher;
import dev.magi.servers.ServerFleet;
import dev.magi.servers.StrayReaper;
import dev.magi.servers.SupervisorSettings;
import dev.magi.servers.VertxScheduler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.logging.Logger;

/**
 * Everything about local GGUF models, wired together: the catalogue, the port pool, the launcher and
 * the fleet of servers, whose ready servers are routed through the backend directory.
 */
final class LocalModels {

  private static final Logger LOG = Logger.getLogger(LocalModels.class.getName());

  private final ModelCatalog catalog;
  private final ServerFleet fleet;
  private final ProcessLauncher launcher;
  private final Path pidFile;
  private final String marker;

  LocalModels(Vertx vertx, MagiConfig config, BackendDirectory directory) {
    MagiConfig.Models models = config.models();
    Clock clock = Clock.systemUTC();
    this.catalog = new ModelCatalog(vertx, new ModelScanner(models.dir(), models.settings(), models.defaults()),
        models.registryFile(), clock);
    this.pidFile = models.dataDir().resolve("children.pids");
    this.marker = marker(models.dataDir());
    this.launcher = new ProcessLauncher(marker, pidFile);
    SupervisorSettings settings = new SupervisorSettings(models.llamaServer(), models.maxStartupTime(),
        models.concurrentStarts(), models.drainTimeout(), models.stopGrace(), models.logDir(), models.dataDir());
    this.fleet = new ServerFleet(vertx.getOrCreateContext(), catalog::current,
        new PortPool(models.portRangeStart(), models.portRangeEnd(), PortProbe.BIND, clock), launcher,
        new HttpHealthProbe(vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false))),
        new VertxScheduler(vertx), clock, settings, new ServerRouting(vertx, directory, catalog::current));
  }

  /**
   * The value of {@code MAGI_CHILD} for children of a Magi with this data directory: a later Magi with
   * the same directory recognises them, another Magi on the machine does not touch them.
   */
  static String marker(Path dataDir) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(dataDir.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
      return "magi-" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops strays of an earlier Magi (on a worker), then scans the models directory. */
  Future<Void> start(Vertx vertx) {
    return vertx.executeBlocking(() -> StrayReaper.reap(pidFile, marker, java.time.Duration.ofSeconds(5)), false)
        .onSuccess(stopped -> {
          if (stopped > 0) {
            LOG.warning(() -> "stopped " + stopped + " llama-server processes left behind by an earlier Magi");
          }
        })
        .compose(stopped -> catalog.rescan())
        .recover(failure -> {
          LOG.warning(() -> "cannot scan the models directory: " + failure.getMessage());
          return Future.succeededFuture();
        })
        .mapEmpty();
  }

  ModelCatalog catalog() {
    return catalog;
  }

  ServerFleet fleet() {
    return fleet;
  }

  /** Terminates every child still running (SIGTERM, SIGKILL after 5 s); for the shutdown hook. */
  void close() {
    launcher.close();
  }
}
