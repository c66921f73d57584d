package dev.magi.gateway;

import dev.magi.gateway.config.MagiConfig;
import dev.magi.gateway.metrics.EventMeters;
import dev.magi.ports.PortPool;
import dev.magi.ports.PortProbe;
import dev.magi.registry.ModelCatalog;
import dev.magi.registry.ModelScanner;
import dev.magi.router.BackendDirectory;
import dev.magi.models.ModelLifecycle;
import dev.magi.models.ProfileSwitcher;
import dev.magi.models.SwitchResult;
import dev.magi.servers.HttpHealthProbe;
import dev.magi.servers.ServerInfo;
import dev.magi.servers.ServerSpec;
import dev.magi.servers.ProcessLauncher;
import dev.magi.servers.ServerFleet;
import dev.magi.servers.StrayReaper;
import dev.magi.servers.SupervisorSettings;
import dev.magi.servers.VertxScheduler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
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
  private final ProfileSwitcher profiles;
  private final ModelLifecycle lifecycle;
  private final Path pidFile;
  private final Path activeProfileFile;
  private final String marker;
  private final Vertx vertx;
  private final EventMeters events;
  private volatile boolean started;

  /**
   * @param events where model loads and profile switches are measured ({@link EventMeters#NONE}: nowhere)
   */
  LocalModels(Vertx vertx, MagiConfig config, BackendDirectory directory, EventMeters events) {
    this.vertx = vertx;
    this.events = events;
    MagiConfig.Models models = config.models();
    Clock clock = Clock.systemUTC();
    this.catalog = new ModelCatalog(vertx, new ModelScanner(models.dir(), models.settings(), models.defaults()),
        models.registryFile(), clock);
    this.pidFile = models.dataDir().resolve("children.pids");
    this.marker = marker(models.dataDir());
    this.launcher = new ProcessLauncher(marker, pidFile);
    SupervisorSettings settings = new SupervisorSettings(models.llamaServer(), models.maxStartupTime(),
        models.concurrentStarts(), models.drainTimeout(), models.stopGrace(), models.logDir(), models.dataDir());
    ProfileSwitcher.Effects effects = new ProfileSwitcher.Effects() {
      @Override
      public Future<ServerInfo> start(ServerSpec spec) {
        return fleet.ensureReady(spec);
      }

      @Override
      public Future<ServerInfo> stop(String instance) {
        return fleet.stop(instance);
      }

      @Override
      public List<ServerInfo> servers() {
        return fleet.servers();
      }

      @Override
      public Future<Void> saveActive(String profile) {
        return vertx.executeBlocking(() -> {
          Files.createDirectories(activeProfileFile.toAbsolutePath().getParent());
          Path temp = activeProfileFile.resolveSibling("active_profile.tmp");
          Files.writeString(temp, profile + "\n");
          Files.move(temp, activeProfileFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          return null;
        }, false);
      }
    };
    this.activeProfileFile = models.dataDir().resolve("active_profile");
    this.profiles = new ProfileSwitcher(config.profiles(), catalog::current, effects);
    this.lifecycle = new ModelLifecycle(catalog::current, profiles, effects, directory, lifecycleSettings(config),
        vertx, System::nanoTime);
    // The effects reach the fleet only once it exists, below; nothing calls them before.
    this.fleet = new ServerFleet(vertx.getOrCreateContext(), catalog::current,
        new PortPool(models.portRangeStart(), models.portRangeEnd(), PortProbe.BIND, clock), launcher,
        new HttpHealthProbe(UpstreamClients.create(vertx, new HttpClientOptions().setKeepAlive(false),
            new io.vertx.core.http.PoolOptions())),
        new VertxScheduler(vertx), clock, settings, timingLoads(lifecycle.routing(), events, clock));
    lifecycle.startSweeping(1000);
  }

  /** The lifecycle's settings from the configuration. */
  static ModelLifecycle.Settings lifecycleSettings(MagiConfig config) {
    MagiConfig.Models models = config.models();
    return new ModelLifecycle.Settings(models.loadOnRequest(), models.memoryBudget(), config.routing().queueWait(),
        models.pinned(), models.maxSwapWait());
  }

  /**
   * Brings the models up in the background, the gateway serving meanwhile: activates the startup
   * profile ({@code MAGI_PROFILE}, else the one active when Magi last ran), then loads the models
   * marked {@code preload}. {@link #started()} turns true when all of that is done, each part
   * ready or failed.
   */
  void startUp(java.util.Optional<String> named, java.util.Set<String> preload) {
    vertx.executeBlocking(() -> named.orElseGet(() -> {
      try {
        return Files.exists(activeProfileFile) ? Files.readString(activeProfileFile).trim() : null;
      } catch (java.io.IOException e) {
        return null;
      }
    }), false).compose(name -> name == null || name.isEmpty() ? Future.succeededFuture() : activate(name))
        .transform(profileDone -> {
          List<Future<Void>> loads = new java.util.ArrayList<>();
          for (String model : preload) {
            LOG.info(() -> "preloading model " + model);
            loads.add(lifecycle.preload(model).onFailure(failure ->
                LOG.warning(() -> "cannot preload model " + model + ": " + failure.getMessage())));
          }
          return Future.join(loads);
        })
        .onComplete(done -> {
          started = true;
          LOG.info("models started up: profile and preloads are ready or failed");
        });
  }

  private Future<Void> activate(String name) {
    LOG.info(() -> "activating profile " + name + " at startup");
    return switchProfile(name).onComplete(done -> {
      if (done.failed()) {
        LOG.warning(() -> "cannot activate profile " + name + ": " + done.cause().getMessage());
      } else if (!done.result().failed().isEmpty()) {
        LOG.warning(() -> "profile " + name + " is active, but not all of it started: " + done.result().failed());
      } else {
        LOG.info(() -> "profile " + name + " is active");
      }
    }).mapEmpty();
  }

  /**
   * Activates the profile called {@code name} ({@link ProfileSwitcher#activate}), and measures the
   * switch: how long it took, and how it ended.
   */
  Future<SwitchResult> switchProfile(String name) {
    long began = System.nanoTime();
    String label = profiles.profiles().containsKey(name) ? name : "unknown";
    return profiles.activate(name).onComplete(done -> {
      String result = done.succeeded()
          ? done.result().failed().isEmpty() ? EventMeters.SWITCH_SUCCESS : EventMeters.SWITCH_PARTIAL
          : done.cause() instanceof dev.magi.models.ProfileException ? EventMeters.SWITCH_REFUSED
          : EventMeters.SWITCH_FAILED;
      events.profileSwitched(label, result, java.time.Duration.ofNanos(System.nanoTime() - began));
    });
  }

  /**
   * The fleet's events as {@code next} hears them, with each server's load measured on the way: from
   * spawning its process to its first healthy answer (restarts after a crash included).
   */
  private static dev.magi.servers.ServerEvents timingLoads(dev.magi.servers.ServerEvents next, EventMeters events,
      Clock clock) {
    return new dev.magi.servers.ServerEvents() {
      @Override
      public void ready(ServerInfo server) {
        server.startedAt().ifPresent(spawned -> events.modelLoaded(server.model(),
            java.time.Duration.between(spawned, clock.instant())));
        next.ready(server);
      }

      @Override
      public Future<Void> leaving(ServerInfo server) {
        return next.leaving(server);
      }

      @Override
      public void gone(ServerInfo server) {
        next.gone(server);
      }

      @Override
      public void failed(ServerInfo server) {
        next.failed(server);
      }
    };
  }

  /** Whether the startup profile and the preloads are ready or failed. */
  boolean started() {
    return started;
  }

  ProfileSwitcher profiles() {
    return profiles;
  }

  ModelLifecycle lifecycle() {
    return lifecycle;
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
