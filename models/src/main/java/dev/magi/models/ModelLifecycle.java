package dev.magi.models;

import dev.magi.registry.Catalog;
import dev.magi.registry.ModelEntry;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendPool;
import dev.magi.servers.ServerInfo;
import dev.magi.servers.ServerSpec;
import dev.magi.servers.ServerState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Which local model runs, and why: loads a model when a request asks for it, unloads idle models
 * (least recently used first, never a pinned one) when the memory budget needs room, unloads models
 * idle past their ttl, and makes a request for a model that is loading or restarting wait for it
 * rather than fail. Decisions are pure ({@link Eviction}); what they decide is carried out through
 * {@link ProfileSwitcher.Effects}, the same seam a profile switch uses. Thread-safe.
 *
 * <p>A request for a model name goes: routable now → its pool; a local model of the catalogue →
 * loaded if it is not (concurrent requests join one load), then the request waits until a server of
 * it has joined its pool, for at most {@link Settings#waitForModel()}; any other name → empty, for the
 * caller's 404.
 */
public final class ModelLifecycle {

  private static final Logger LOG = Logger.getLogger(ModelLifecycle.class.getName());

  /**
   * @param loadOnRequest whether a request for a local model that is not running loads it; models the
   *     active profile marks {@code on_demand} load on request either way
   * @param memoryBudget bytes all local servers may need together; 0 means no limit
   * @param waitForModel longest a request waits for its model to load or come back; a model that
   *     waits for its turn to be swapped in adds {@code maxSwapWait}
   * @param pinned model ids (or aliases) never unloaded to make room
   * @param maxSwapWait longest a load waits for busy models to finish before they are drained and
   *     swapped out (the starvation bound of the swap scheduler)
   */
  public record Settings(boolean loadOnRequest, long memoryBudget, Duration waitForModel, Set<String> pinned,
      Duration maxSwapWait) {
    /** Copies the set. */
    public Settings {
      pinned = Set.copyOf(pinned);
    }
  }

  /** How a known model stands, for listings. */
  public enum Status {
    /** A server of it is in its pool. */
    LOADED,
    /** A server of it is starting, or restarting after a crash. */
    LOADING,
    /** Nothing runs; a request loads it (when loading on request is on). */
    UNLOADED,
    /** Its server could not start, or crashed too often; a request tries again. */
    FAILED;

    /** Lower-case name used in JSON. */
    public String json() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * One local model as listings show it.
   *
   * @param entry the catalogue's entry, with the launch settings it is (or would be) started with
   * @param status how it stands
   * @param reason why it failed, empty otherwise
   * @param memoryEstimateBytes the one estimate used for the budget: all its replicas together
   * @param pinned never unloaded to make room
   * @param listedSince when the catalogue that lists it was made
   */
  public record View(ModelEntry entry, Status status, String reason, long memoryEstimateBytes, boolean pinned,
      java.time.Instant listedSince) {
  }

  private final Supplier<Catalog> catalog;
  private final ProfileSwitcher profiles;
  private final ProfileSwitcher.Effects effects;
  private final BackendDirectory directory;
  private final Vertx vertx;
  private final LongSupplier nanoClock;
  private volatile Settings settings;
  private final Map<String, Long> lastUsed = new ConcurrentHashMap<>();
  /**
   * Idle times clients asked for (Ollama's {@code keep_alive}), by model id, in nanoseconds;
   * {@link Long#MAX_VALUE} keeps a model however long it idles. Dropped when the model unloads.
   */
  private final Map<String, Long> keepAlive = new ConcurrentHashMap<>();
  /** Bytes of loads decided and not yet finished, by model id: counted before their servers show. */
  private final Map<String, Long> reserved = new ConcurrentHashMap<>();
  private volatile Index index = new Index(Catalog.EMPTY, Map.of());
  private final ServerRouting routing;
  /**
   * When each model was last handed to requests that waited for it: for {@link #HAND_OFF_NANOS} after,
   * it counts as busy, so that those requests reach its queue before anything can swap it out again.
   */
  private final Map<String, Long> handedOff = new ConcurrentHashMap<>();
  static final long HAND_OFF_NANOS = TimeUnit.SECONDS.toNanos(2);
  /** Models swapped out for another, with the queue their waiting requests stay in until they are back. */
  private final Map<String, dev.magi.router.AdmissionQueue> swappedOut = new ConcurrentHashMap<>();
  /** Loads under way, by model id: later requests join them. */
  private final Map<String, Future<Void>> loading = new HashMap<>();
  /** Requests waiting for a model to join its pool, by model id. */
  private final Map<String, List<PoolWaiter>> waitingForPool = new HashMap<>();
  /** Loads decided one after another, so that each decision sees the memory the previous one took. */
  private Future<Void> decisions = Future.succeededFuture();

  public ModelLifecycle(Supplier<Catalog> catalog, ProfileSwitcher profiles, ProfileSwitcher.Effects effects,
      BackendDirectory directory, Settings settings, Vertx vertx, LongSupplier nanoClock) {
    this.catalog = catalog;
    this.profiles = profiles;
    this.effects = effects;
    this.directory = directory;
    this.settings = settings;
    this.vertx = vertx;
    this.nanoClock = nanoClock;
    this.routing = new ServerRouting(directory, catalog, this::joinedPool);
  }

  /** Applies new settings to the decisions that follow. */
  public void settings(Settings settings) {
    this.settings = settings;
  }

  /** The server events that put ready servers into their pools and tell waiting requests. */
  public ServerRouting routing() {
    return routing;
  }

  /** Checks for models idle past their ttl every {@code everyMillis}. */
  public void startSweeping(long everyMillis) {
    vertx.setPeriodic(everyMillis, everyMillis, id -> sweep());
  }

  /**
   * Notes a request for {@code name}, so that its idle time starts again. Called for every request:
   * one map lookup, and nothing more for names that are not local models.
   */
  public void used(String name) {
    ModelEntry entry = index().get(name);
    if (entry != null) {
      lastUsed.put(entry.id(), nanoClock.getAsLong());
    }
  }

  /**
   * How long {@code name}, a local model, may idle before it is unloaded, as a client asked (Ollama's
   * {@code keep_alive}): zero unloads it once its requests in flight are done, a negative duration
   * keeps it. It replaces the profile's ttl until the model unloads. A pinned model, or a name that is
   * not a local model, is left as it is.
   */
  public void keepAlive(String name, Duration idle) {
    ModelEntry entry = index().get(name);
    if (entry == null || settings.pinned().contains(entry.id())) {
      return;
    }
    // At least a nanosecond: a ttl of zero means "no ttl" to the eviction rule.
    keepAlive.put(entry.id(), idle.isNegative() ? Long.MAX_VALUE : Math.max(1, idle.toNanos()));
  }

  /**
   * When {@code id}, a running local model, will be unloaded if no request comes: its last request plus
   * the idle time a client asked for ({@link #keepAlive}) or its on-demand profile's ttl. Empty when
   * idling does not unload it (only the memory budget might).
   */
  public Optional<java.time.Instant> expiresAt(String id) {
    Long idle = keepAlive.get(id);
    if (idle == null) {
      idle = profiles.active().flatMap(active -> active.models().stream()
          .filter(model -> model.onDemand() && catalog.get().find(model.model())
              .map(entry -> entry.id().equals(id)).orElse(false))
          .findFirst()).map(model -> model.ttl().toNanos()).orElse(null);
    }
    if (idle == null || idle == Long.MAX_VALUE || idle <= 0) {
      return Optional.empty();
    }
    long now = nanoClock.getAsLong();
    long left = lastUsed.getOrDefault(id, now) + idle - now;
    return Optional.of(java.time.Instant.now().plusNanos(Math.max(0, left)));
  }

  /** The catalogue's models by id and alias; rebuilt only when the catalogue changed. */
  private Map<String, ModelEntry> index() {
    Catalog current = catalog.get();
    Index cached = index;
    if (cached.catalog() == current) {
      return cached.byName();
    }
    Map<String, ModelEntry> byName = new HashMap<>();
    for (ModelEntry entry : current.models()) {
      entry.aliases().forEach(alias -> byName.putIfAbsent(alias, entry));
    }
    current.models().forEach(entry -> byName.put(entry.id(), entry));
    index = new Index(current, Map.copyOf(byName));
    return index.byName();
  }

  private record Index(Catalog catalog, Map<String, ModelEntry> byName) {
  }

  /**
   * The pool for a local model that is not routable now, once it is: loaded first if it must be.
   * The request itself is noted by {@link #used}, which the caller calls for every request.
   *
   * @return empty when {@code name} is no model of the catalogue; else a future of the pool, failed
   *     with a {@link ModelUnavailableException} when the model cannot be loaded or is not ready in time
   */
  public Optional<Future<BackendPool>> load(String name) {
    ModelEntry entry = index().get(name);
    if (entry == null) {
      return Optional.empty();
    }
    String id = entry.id();
    Optional<BackendPool> pool = directory.routes().resolve(id);
    if (pool.isPresent()) {
      return Optional.of(Future.succeededFuture(pool.get()));
    }
    if (!entry.valid()) {
      return Optional.of(Future.failedFuture(new ModelUnavailableException(ModelUnavailableException.Reason.LOAD_FAILED,
          "Model '" + id + "' cannot be served: " + entry.invalidReason().orElse(""))));
    }
    if (servers(id).stream().anyMatch(s -> s.state() == ServerState.STARTING || s.state() == ServerState.READY)) {
      return Optional.of(awaitPool(id, any -> true, settings.waitForModel()));
    }
    // A load may first wait its turn behind busy models (the swap scheduler), then load.
    Future<BackendPool> ready = awaitPool(id, any -> true, settings.waitForModel().plus(settings.maxSwapWait()));
    Optional<ProfileModel> wanted = profileEntry(entry);
    boolean onDemand = wanted.map(ProfileModel::onDemand).orElse(false);
    if (!settings.loadOnRequest() && !onDemand) {
      failWaiting(id, new ModelUnavailableException(ModelUnavailableException.Reason.NOT_LOADED, "Model '" + id
          + "' is not loaded, and models.load_on_request is off: load it with POST /api/models/" + id
          + "/start."));
      return Optional.of(ready);
    }
    join(entry, wanted).onFailure(failure -> failWaiting(id, (ModelUnavailableException) failure));
    return Optional.of(ready);
  }

  /**
   * Loads a model at startup ({@code preload}), whatever {@code models.load_on_request} says, within
   * the memory budget like any other load.
   *
   * @return completes when a server of it is ready, or fails with a {@link ModelUnavailableException}
   */
  public Future<Void> preload(String name) {
    ModelEntry entry = index().get(name);
    if (entry == null || !entry.valid()) {
      return Future.failedFuture(new ModelUnavailableException(ModelUnavailableException.Reason.LOAD_FAILED,
          "Model '" + name + "' cannot be preloaded: " + (entry == null ? "it is not in the catalogue"
              : entry.invalidReason().orElse(""))));
    }
    if (directory.routes().resolve(entry.id()).isPresent()) {
      return Future.succeededFuture();
    }
    return join(entry, profileEntry(entry));
  }

  /**
   * The load of this model under way, or a new one.
   *
   * @return completes when a server of it is ready; fails with a {@link ModelUnavailableException}
   */
  private Future<Void> join(ModelEntry entry, Optional<ProfileModel> wanted) {
    String id = entry.id();
    Future<Void> load;
    synchronized (this) {
      load = loading.get(id);
      if (load == null) {
        load = startLoad(entry, wanted).recover(failure -> Future.failedFuture(
            failure instanceof ModelUnavailableException ? failure
                : new ModelUnavailableException(ModelUnavailableException.Reason.LOAD_FAILED, "Model '" + id
                    + "' could not be loaded: " + failure.getMessage())));
        loading.put(id, load);
        load.onComplete(done -> {
          synchronized (this) {
            loading.remove(id);
          }
        });
      }
    }
    return load;
  }

  /** Decides (after the decisions before it) and carries out one load: unload what must go, then start. */
  private synchronized Future<Void> startLoad(ModelEntry entry, Optional<ProfileModel> wanted) {
    ModelEntry launched = wanted.map(model -> entry.withLaunch(Planner.launch(entry.launch(), model))).orElse(entry);
    int replicas = wanted.map(ProfileModel::replicas).orElse(1);
    long needed = launched.memoryEstimateBytes() * replicas;
    Promise<Void> decided = Promise.promise();
    long asked = nanoClock.getAsLong();
    Future<Void> load = decisions.transform(previous -> makeRoom(entry.id(), needed, asked))
        .compose(room -> {
          reserved.put(entry.id(), needed);
          decided.complete();
          LOG.info(() -> "loading model " + entry.id() + " on request (about " + mib(needed) + " MiB)");
          List<Future<ServerInfo>> starts = new ArrayList<>();
          for (int replica = 1; replica <= replicas; replica++) {
            starts.add(effects.start(new ServerSpec(ServerSpec.instanceName(entry.id(), replica), launched)));
          }
          return Future.any(starts).<Void>mapEmpty();
        })
        .onComplete(done -> {
          reserved.remove(entry.id());
          decided.tryComplete();
          bringBackSwappedOut();
        });
    // The next decision waits until this one has unloaded what it needed and started its servers, so
    // that it counts them.
    decisions = decided.future();
    return load;
  }

  /**
   * Unloads what the budget needs unloaded before {@code needed} more bytes can load. When busy models
   * must go, waits until they are idle, deciding again each time one is; once the load has waited
   * {@link Settings#maxSwapWait()} since {@code waitingSinceNanos}, they are drained (their requests in
   * flight and queued finish; new ones wait for their model to come back) and swapped out.
   */
  private Future<Void> makeRoom(String model, long needed, long waitingSinceNanos) {
    Promise<Void> room = Promise.promise();
    decideRoom(model, needed, waitingSinceNanos, room);
    return room.future();
  }

  /** One decision of {@link #makeRoom}; a decision to wait comes back here on the next event. */
  private void decideRoom(String model, long needed, long waitingSinceNanos, Promise<Void> room) {
    Eviction.Decision decision = Eviction.decide(residents(model), needed, budget());
    if (decision instanceof Eviction.Fits) {
      room.complete();
      return;
    }
    if (decision instanceof Eviction.Wait wait) {
      // A model's turn lasts at least max_swap_wait from when it was swapped in, and a model still
      // loading is never swapped out: the requests it was loaded for come first.
      long since = waitingSinceNanos;
      for (String busy : wait.busy()) {
        since = Math.max(since, handedOff.getOrDefault(busy, Long.MIN_VALUE));
      }
      long now = nanoClock.getAsLong();
      long left = since + settings.maxSwapWait().toNanos() - now;
      boolean loading = wait.busy().stream().anyMatch(busy -> loading(busy) || handOffLeft(busy, now) > 0);
      if (left > 0 || loading) {
        // On a fresh turn of the event loop, so that a long wait never deepens the stack.
        idleOrAfter(wait.busy(), left).onComplete(next -> vertx.runOnContext(
            v -> decideRoom(model, needed, waitingSinceNanos, room)));
        return;
      }
      LOG.info(() -> "swapping out " + String.join(", ", wait.models()) + " for " + model + ", which waited "
          + settings.maxSwapWait().toSeconds() + " s for its turn");
      for (String busy : wait.busy()) {
        directory.routes().resolve(busy).ifPresent(pool -> swappedOut.put(busy, pool.queue()));
        routing.swapOut(busy);
      }
      unload(wait.models()).onComplete(done -> {
        wait.busy().forEach(routing::swapped);
        room.complete();
      });
      return;
    }
    if (decision instanceof Eviction.Refuse refuse) {
      StringBuilder message = new StringBuilder("Model '" + model + "' needs about " + mib(needed)
          + " MiB, but only " + mib(Math.max(0, refuse.free())) + " MiB of the memory budget of " + mib(budget())
          + " MiB can be freed; loaded:");
      if (refuse.resident().isEmpty()) {
        message.append(" nothing;");
      }
      refuse.resident().forEach(r -> message.append(' ').append(r.model()).append(' ').append(mib(r.bytes()))
          .append(" MiB").append(r.pinned() ? " (pinned)" : r.busy() > 0 ? " (busy)" : "").append(';'));
      room.fail(new ModelUnavailableException(ModelUnavailableException.Reason.INSUFFICIENT_MEMORY,
          message.substring(0, message.length() - 1) + "."));
      return;
    }
    List<String> evict = ((Eviction.Evict) decision).models();
    LOG.info(() -> "unloading " + String.join(", ", evict) + " to make room for " + model);
    unload(evict).onComplete(done -> room.complete());
  }

  /** Whether a load of the model is under way: decided, or its server starting. */
  private boolean loading(String id) {
    return reserved.containsKey(id) || servers(id).stream().anyMatch(s -> s.state() == ServerState.STARTING);
  }

  /**
   * Models swapped out with requests still waiting for them load again, each waiting its turn like any
   * load; those nobody waits for are let go.
   */
  private void bringBackSwappedOut() {
    for (String model : List.copyOf(swappedOut.keySet())) {
      dev.magi.router.AdmissionQueue queue = swappedOut.remove(model);
      ModelEntry entry = index().get(model);
      if (queue == null) {
        continue;
      }
      if (queue.waiting() == 0 || entry == null) {
        directory.notExpectedBack(model);
        continue;
      }
      LOG.info(() -> "loading model " + model + " again for the " + queue.waiting() + " requests waiting for it");
      join(entry, profileEntry(entry)).onFailure(failure -> directory.notExpectedBack(model));
    }
  }

  /** Stops every server of these models (each drains first); completes when all have stopped. */
  private Future<Void> unload(List<String> models) {
    List<Future<ServerInfo>> stops = new ArrayList<>();
    for (String id : models) {
      servers(id).stream().filter(ModelLifecycle::holdsMemory)
          .forEach(server -> stops.add(effects.stop(server.name())));
    }
    return Future.join(stops).mapEmpty();
  }

  /**
   * Completes on the first of: one of these models may have become idle (its queue emptied and its
   * last request ended), one that is loading has joined its pool, one's hand-off has ended, or
   * {@code nanos} have passed (when positive).
   */
  private Future<Void> idleOrAfter(List<String> busy, long nanos) {
    Promise<Void> next = Promise.promise();
    long now = nanoClock.getAsLong();
    long timerNanos = nanos > 0 ? nanos : Long.MAX_VALUE;
    for (String id : busy) {
      long handOff = handOffLeft(id, now);
      if (handOff > 0) {
        // Busy by its hand-off: nothing to be told of but the hand-off's end.
        timerNanos = Math.min(timerNanos, handOff);
      } else if (loading(id)) {
        awaitPool(id, any -> true, settings.waitForModel()).onComplete(done -> next.tryComplete());
      } else {
        Optional<BackendPool> pool = directory.routes().resolve(id);
        if (pool.isPresent()) {
          List<Future<Void>> parts = new ArrayList<>();
          parts.add(pool.get().queue().whenEmpty());
          pool.get().backends().forEach(backend -> parts.add(backend.whenIdle()));
          Future.all(parts).onComplete(done -> next.tryComplete());
        } else {
          // Out of its pool and still stopping: stopping it again only joins the stop under way.
          servers(id).stream().filter(server -> server.state() == ServerState.STOPPING)
              .forEach(server -> effects.stop(server.name()).onComplete(done -> next.tryComplete()));
          timerNanos = Math.min(timerNanos, TimeUnit.MILLISECONDS.toNanos(100));
        }
      }
    }
    if (timerNanos != Long.MAX_VALUE) {
      long timer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timerNanos)), fired -> next.tryComplete());
      next.future().onComplete(done -> vertx.cancelTimer(timer));
    }
    return next.future();
  }

  /**
   * The memory budget left: the budget in force less what local models hold and what loads decided
   * have reserved; {@link Long#MAX_VALUE} without a budget.
   */
  public long memoryFree() {
    long budget = budget();
    if (budget <= 0) {
      return Long.MAX_VALUE;
    }
    long held = residents("").stream().mapToLong(Resident::bytes).sum()
        + reserved.values().stream().mapToLong(Long::longValue).sum();
    return Math.max(0, budget - held);
  }

  /** The memory budget in force: the global one, and the active profile's when it is smaller. */
  private long budget() {
    long global = settings.memoryBudget();
    long profile = profiles.active().map(Profile::memoryBudget).orElse(0L);
    if (global <= 0) {
      return profile;
    }
    return profile <= 0 ? global : Math.min(global, profile);
  }

  /** Every local model holding memory now, but {@code except}. */
  private List<Resident> residents(String except) {
    Map<String, long[]> bytes = new LinkedHashMap<>();
    Map<String, Boolean> starting = new HashMap<>();
    Map<String, ModelEntry> byName = index();
    for (ServerInfo server : effects.servers()) {
      if (!holdsMemory(server) || server.model().equals(except) || reserved.containsKey(server.model())) {
        continue;
      }
      ModelEntry entry = byName.get(server.model());
      long estimate = entry == null ? 0 : entry.withLaunch(server.launch()).memoryEstimateBytes();
      bytes.computeIfAbsent(server.model(), id -> new long[1])[0] += estimate;
      if (server.state() != ServerState.READY) {
        starting.put(server.model(), true);
      }
    }
    List<Resident> result = new ArrayList<>();
    // A load under way holds what it was granted, loading or not: never evictable.
    reserved.forEach((id, needed) -> {
      if (!id.equals(except)) {
        result.add(new Resident(id, needed, 1, lastUsed.getOrDefault(id, Long.MIN_VALUE), pinned(id)));
      }
    });
    long now = nanoClock.getAsLong();
    bytes.forEach((id, total) -> {
      int busy = directory.routes().resolve(id).map(BackendPool::busy).orElse(0)
          + (starting.containsKey(id) ? 1 : 0) + (handOffLeft(id, now) > 0 ? 1 : 0);
      result.add(new Resident(id, total[0], busy, lastUsed.getOrDefault(id, Long.MIN_VALUE), pinned(id)));
    });
    return result;
  }

  /** Nanoseconds left of the model's hand-off to the requests that waited for it; 0 or less when none. */
  private long handOffLeft(String id, long now) {
    Long at = handedOff.get(id);
    return at == null ? 0 : at + HAND_OFF_NANOS - now;
  }

  /** Whether the server holds memory: running, loading, or still stopping. */
  private static boolean holdsMemory(ServerInfo server) {
    return server.state() == ServerState.READY || server.state() == ServerState.STARTING
        || server.state() == ServerState.STOPPING;
  }

  private boolean pinned(String id) {
    Set<String> pinned = settings.pinned();
    if (pinned.contains(id)) {
      return true;
    }
    ModelEntry entry = index().get(id);
    return entry != null && entry.aliases().stream().anyMatch(pinned::contains);
  }

  /** The active profile's entry for this model, if it has one for a local model. */
  private Optional<ProfileModel> profileEntry(ModelEntry entry) {
    return profiles.active().flatMap(profile -> profile.models().stream()
        .filter(model -> model.source() == ModelSource.LOCAL && entry.answersTo(model.model()))
        .findFirst());
  }

  private List<ServerInfo> servers(String id) {
    return effects.servers().stream().filter(s -> s.model().equals(id)).toList();
  }

  /**
   * For a request whose every backend of {@code name} failed before answering: the model's pool once a
   * server not in {@code exclude} has joined it (a crashed server restarted), within the wait allowed.
   *
   * @return empty when {@code name} is not a local model, whose servers Magi restarts
   */
  public Optional<Future<BackendPool>> recover(String name, java.util.Collection<dev.magi.router.Backend> exclude) {
    ModelEntry entry = index().get(name);
    if (entry == null) {
      return Optional.empty();
    }
    return Optional.of(awaitPool(entry.id(), pool -> pool.backends().stream().anyMatch(b -> !exclude.contains(b)),
        settings.waitForModel()));
  }

  /** A request waiting for its model's pool to be good enough for it. */
  private record PoolWaiter(Promise<BackendPool> promise, java.util.function.Predicate<BackendPool> enough) {
  }

  /**
   * A future that completes with the model's pool once it has one that is {@code enough}, or fails
   * after {@code wait}.
   */
  private Future<BackendPool> awaitPool(String id, java.util.function.Predicate<BackendPool> enough, Duration wait) {
    PoolWaiter waiter = new PoolWaiter(Promise.promise(), enough);
    synchronized (this) {
      waitingForPool.computeIfAbsent(id, key -> new ArrayList<>()).add(waiter);
    }
    long timer = vertx.setTimer(Math.max(1, wait.toMillis()), fired -> {
      boolean removed;
      synchronized (this) {
        List<PoolWaiter> waiting = waitingForPool.get(id);
        removed = waiting != null && waiting.remove(waiter);
      }
      if (removed) {
        waiter.promise().tryFail(new ModelUnavailableException(ModelUnavailableException.Reason.NOT_READY_IN_TIME,
            "Model '" + id + "' is loading and was not ready within " + wait.toSeconds() + " s; try again shortly."));
      }
    });
    waiter.promise().future().onComplete(done -> vertx.cancelTimer(timer));
    // It may have joined its pool before this request started waiting.
    directory.routes().resolve(id).ifPresent(pool -> joinedPool(id));
    return waiter.promise().future();
  }

  /** A server of {@code id} has joined its pool: every request waiting for such a pool goes on. */
  private void joinedPool(String id) {
    BackendPool pool = directory.routes().resolve(id).orElse(null);
    if (pool == null) {
      return;
    }
    List<PoolWaiter> ready = new ArrayList<>();
    synchronized (this) {
      List<PoolWaiter> waiting = waitingForPool.get(id);
      if (waiting == null) {
        return;
      }
      waiting.removeIf(waiter -> waiter.enough().test(pool) && ready.add(waiter));
      if (waiting.isEmpty()) {
        waitingForPool.remove(id);
      }
    }
    if (!ready.isEmpty()) {
      handedOff.put(id, nanoClock.getAsLong());
    }
    ready.forEach(waiter -> waiter.promise().tryComplete(pool));
  }

  private void failWaiting(String id, ModelUnavailableException failure) {
    List<PoolWaiter> waiting;
    synchronized (this) {
      waiting = waitingForPool.remove(id);
    }
    if (waiting != null) {
      waiting.forEach(waiter -> waiter.promise().tryFail(failure));
    }
  }

  /**
   * Unloads every model idle past its ttl: on-demand models of the active profile, after theirs, and
   * models a client gave a {@linkplain #keepAlive keep-alive}, after that (which replaces the profile's).
   */
  public void sweep() {
    long now = nanoClock.getAsLong();
    Catalog current = catalog.get();
    java.util.Set<String> swept = new java.util.HashSet<>();
    profiles.active().ifPresent(active -> {
      for (ProfileModel model : active.models()) {
        if (model.onDemand()) {
          current.find(model.model()).ifPresent(entry -> {
            swept.add(entry.id());
            unloadIfIdle(entry.id(), keepAlive.getOrDefault(entry.id(), model.ttl().toNanos()), now);
          });
        }
      }
    });
    keepAlive.forEach((id, idle) -> {
      if (!swept.contains(id)) {
        unloadIfIdle(id, idle, now);
      }
    });
  }

  /** Stops the ready servers of {@code id} when it has been idle {@code idleNanos}, with nothing in flight. */
  private void unloadIfIdle(String id, long idleNanos, long now) {
    if (idleNanos == Long.MAX_VALUE) {
      return;
    }
    int busy = directory.routes().resolve(id).map(BackendPool::busy).orElse(0);
    List<ServerInfo> running = servers(id).stream().filter(s -> s.state() == ServerState.READY).toList();
    if (running.isEmpty()) {
      if (servers(id).isEmpty()) {
        keepAlive.remove(id);
      }
      return;
    }
    if (Eviction.expired(now, lastUsed.getOrDefault(id, now), idleNanos, busy)) {
      LOG.info(() -> "unloading model " + id + " after " + TimeUnit.NANOSECONDS.toSeconds(idleNanos)
          + " s without requests");
      running.forEach(server -> effects.stop(server.name()));
      lastUsed.remove(id);
      keepAlive.remove(id);
    }
  }

  /** Whether a request could load some model now: loading on request is on, and a model can be served. */
  public boolean canLoadOnRequest() {
    return settings.loadOnRequest() && catalog.get().models().stream().anyMatch(ModelEntry::valid);
  }

  /** Every model of the catalogue as it stands now, in catalogue order. */
  public List<View> views() {
    Catalog current = catalog.get();
    List<View> views = new ArrayList<>();
    for (ModelEntry entry : current.models()) {
      views.add(view(entry, current));
    }
    return views;
  }

  /** One model of the catalogue as it stands now, by id or alias. */
  public Optional<View> view(String name) {
    Catalog current = catalog.get();
    return current.find(name).map(entry -> view(entry, current));
  }

  private View view(ModelEntry entry, Catalog current) {
    Optional<ProfileModel> wanted = profileEntry(entry);
    ModelEntry launched = wanted.map(model -> entry.withLaunch(Planner.launch(entry.launch(), model))).orElse(entry);
    long estimate = launched.memoryEstimateBytes() * wanted.map(ProfileModel::replicas).orElse(1);
    boolean pinned = pinned(entry.id());
    if (!entry.valid()) {
      return new View(launched, Status.FAILED, entry.invalidReason().orElse(""), estimate, pinned, current.updatedAt());
    }
    if (directory.routes().resolve(entry.id()).isPresent()) {
      return new View(launched, Status.LOADED, "", estimate, pinned, current.updatedAt());
    }
    List<ServerInfo> servers = servers(entry.id());
    boolean loadingNow;
    synchronized (this) {
      loadingNow = loading.containsKey(entry.id());
    }
    if (loadingNow || servers.stream().anyMatch(s -> s.state() == ServerState.STARTING)) {
      return new View(launched, Status.LOADING, "", estimate, pinned, current.updatedAt());
    }
    Optional<ServerInfo> failed = servers.stream().filter(s -> s.state() == ServerState.FAILED).findFirst();
    if (failed.isPresent()) {
      return new View(launched, Status.FAILED, failed.get().lastError(), estimate, pinned, current.updatedAt());
    }
    return new View(launched, Status.UNLOADED, "", estimate, pinned, current.updatedAt());
  }

  private static long mib(long bytes) {
    return Math.round(bytes / 1048576.0);
  }
}
