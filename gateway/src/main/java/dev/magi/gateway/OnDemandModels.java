package dev.magi.gateway;

import dev.magi.models.ModelSource;
import dev.magi.models.Profile;
import dev.magi.models.ProfileModel;
import dev.magi.models.ProfileSwitcher;
import dev.magi.registry.Catalog;
import dev.magi.registry.LaunchSettings;
import dev.magi.registry.ModelEntry;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendPool;
import dev.magi.servers.ServerFleet;
import dev.magi.servers.ServerInfo;
import dev.magi.servers.ServerSpec;
import dev.magi.servers.ServerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Models the active profile marks {@code on_demand}: the first request starts them (every request
 * that arrives meanwhile joins the same start, in order), and after {@code ttl} without requests they
 * are stopped again (llama-swap's most used feature). Thread-safe.
 */
final class OnDemandModels {

  private static final Logger LOG = Logger.getLogger(OnDemandModels.class.getName());

  private final Supplier<Catalog> catalog;
  private final ProfileSwitcher profiles;
  private final ServerFleet fleet;
  private final BackendDirectory directory;
  private final LongSupplier nanoClock;
  private final Map<String, Long> lastUsed = new ConcurrentHashMap<>();
  private volatile Names names = new Names(null, null, Map.of());

  /** The on-demand models of one active profile over one catalogue snapshot, by every name they answer to. */
  private record Names(Profile profile, Catalog catalog, Map<String, ProfileModel> byName) {
  }

  OnDemandModels(Supplier<Catalog> catalog, ProfileSwitcher profiles, ServerFleet fleet, BackendDirectory directory,
      LongSupplier nanoClock) {
    this.catalog = catalog;
    this.profiles = profiles;
    this.fleet = fleet;
    this.directory = directory;
    this.nanoClock = nanoClock;
  }

  /** Checks for idle on-demand models every {@code everyMillis}. */
  void startSweeping(Vertx vertx, long everyMillis) {
    vertx.setPeriodic(everyMillis, everyMillis, id -> sweep());
  }

  /** The on-demand entry of the active profile for a model name (id or alias), if it is one. */
  Optional<ProfileModel> onDemand(String name) {
    return Optional.ofNullable(names().byName().get(name));
  }

  /** The lookup table for the current profile and catalogue; rebuilt only when either changed. */
  private Names names() {
    Profile profile = profiles.active().orElse(null);
    Catalog current = catalog.get();
    Names cached = names;
    if (cached.profile() == profile && cached.catalog() == current) {
      return cached;
    }
    Map<String, ProfileModel> byName = new java.util.HashMap<>();
    if (profile != null) {
      for (ProfileModel model : profile.models()) {
        if (model.onDemand() && model.source() == ModelSource.LOCAL) {
          byName.put(model.model(), model);
          current.find(model.model()).ifPresent(entry -> {
            byName.put(entry.id(), model);
            entry.aliases().forEach(alias -> byName.put(alias, model));
          });
        }
      }
    }
    Names fresh = new Names(profile, current, Map.copyOf(byName));
    names = fresh;
    return fresh;
  }

  /** Notes a request for {@code model}, so that its idle time starts again; free for other models. */
  void used(String model) {
    if (onDemand(model).isPresent()) {
      catalog.get().find(model).ifPresent(entry -> lastUsed.put(entry.id(), nanoClock.getAsLong()));
    }
  }

  /**
   * Starts an on-demand model (all its replicas) and completes when its first server is routable.
   *
   * @return the pool to route to, or empty when {@code name} is not an on-demand model of the active profile
   */
  Optional<Future<BackendPool>> load(String name) {
    Optional<ProfileModel> wanted = onDemand(name);
    Optional<ModelEntry> entry = catalog.get().find(name);
    if (wanted.isEmpty() || entry.isEmpty()) {
      return Optional.empty();
    }
    ProfileModel model = wanted.get();
    ModelEntry launched = entry.get().withLaunch(dev.magi.models.Planner.launch(entry.get().launch(), model));
    used(name);
    List<Future<ServerInfo>> replicas = new ArrayList<>();
    for (int replica = 1; replica <= model.replicas(); replica++) {
      replicas.add(fleet.ensureReady(new ServerSpec(ServerSpec.instanceName(launched.id(), replica), launched)));
    }
    return Optional.of(Future.any(replicas).compose(first -> directory.routes().resolve(launched.id())
        .map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture("model '" + launched.id() + "' started but is not routable"))));
  }

  /** Stops every on-demand model that has been idle longer than its ttl. */
  void sweep() {
    Optional<Profile> active = profiles.active();
    if (active.isEmpty()) {
      return;
    }
    long now = nanoClock.getAsLong();
    for (ProfileModel model : active.get().models()) {
      if (!model.onDemand()) {
        continue;
      }
      Optional<ModelEntry> entry = catalog.get().find(model.model());
      if (entry.isEmpty()) {
        continue;
      }
      String id = entry.get().id();
      Optional<BackendPool> pool = directory.routes().resolve(id);
      int busy = pool.map(BackendPool::busy).orElse(0);
      List<ServerInfo> running = fleet.servers().stream()
          .filter(s -> s.model().equals(id) && s.state() == ServerState.READY).toList();
      if (!running.isEmpty() && idle(now, lastUsed.getOrDefault(id, now), model.ttl(), busy)) {
        LOG.info(() -> "stopping on-demand model " + id + " after " + model.ttl().toSeconds() + " s without requests");
        running.forEach(server -> fleet.stop(server.name()));
        lastUsed.remove(id);
      }
    }
  }

  /** Whether a model last used at {@code lastUsed} should be unloaded now: idle for its ttl, nothing busy. */
  static boolean idle(long now, long lastUsed, Duration ttl, int busy) {
    return busy == 0 && now - lastUsed >= ttl.toNanos();
  }

  /**
   * The state clients see in {@code /v1/models} for a local model of the active profile:
   * {@code loaded} when routable, {@code loading} while a server starts, else {@code unloaded}.
   */
  String state(String id) {
    if (directory.routes().resolve(id).isPresent()) {
      return "loaded";
    }
    boolean starting = fleet.servers().stream()
        .anyMatch(s -> s.model().equals(id) && s.state() == ServerState.STARTING);
    return starting ? "loading" : "unloaded";
  }
}
