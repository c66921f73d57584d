package dev.magi.gateway;

import dev.magi.gateway.api.RequestParser;
import dev.magi.gateway.config.BackendSettings;
import dev.magi.gateway.config.ConfigChanges;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.gateway.config.NetworkTransport;
import dev.magi.gateway.metrics.EventMeters;
import dev.magi.gateway.metrics.GatewayMetrics;
import dev.magi.gateway.metrics.ModelServerMetrics;
import dev.magi.gateway.metrics.StateGauges;
import dev.magi.gateway.rag.Retrieval;
import dev.magi.registry.OllamaModelName;
import dev.magi.router.AdmissionQueue;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendType;
import dev.magi.router.LoadBalancer;
import dev.magi.router.ModelDeclaration;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A running gateway: wires configuration into the backend directory, the control verticle and one
 * API verticle per event loop. Tests start one in-process with port 0.
 */
public final class Gateway {

  /** The directory source name for backends declared in configuration. */
  static final String CONFIG_SOURCE = "config";

  private final Vertx vertx;
  private final BackendDirectory directory;
  private final LocalModels models;
  private final List<String> deployments;
  private final int port;
  private final Runnable stopIdleCollector;

  private final List<ApiVerticle> verticles;
  private final ApiVerticle.Shared shared;
  private final AdminApi admin;
  private final java.util.random.RandomGenerator random;
  /** The configuration in force; replaced by {@link #reload}. */
  private volatile MagiConfig config;
  private String controlDeployment;
  /** Reloads one after another: each diffs against the configuration the previous one left. */
  private Future<ConfigChanges> applied = Future.succeededFuture();
  private ConfigReload reloads;
  /** This gateway in its cluster; null when no cluster is configured. */
  private ClusterNode cluster;

  /** Vector stores and files: closed last, once nothing serves them. */
  private final dev.magi.gateway.rag.Retrieval retrieval;

  private Gateway(Vertx vertx, BackendDirectory directory, LocalModels models, List<String> deployments, int port,
      Runnable stopIdleCollector, List<ApiVerticle> verticles, ApiVerticle.Shared shared, MagiConfig config,
      AdminApi admin, java.util.random.RandomGenerator random, String controlDeployment,
      dev.magi.gateway.rag.Retrieval retrieval) {
    this.vertx = vertx;
    this.retrieval = retrieval;
    this.config = config;
    this.admin = admin;
    this.random = random;
    this.controlDeployment = controlDeployment;
    this.verticles = List.copyOf(verticles);
    this.shared = shared;
    this.stopIdleCollector = stopIdleCollector;
    this.directory = directory;
    this.models = models;
    this.deployments = deployments;
    this.port = port;
  }

  /**
   * The Vert.x a gateway runs on, over {@code transport} ({@link NetworkTransport#resolve()} of
   * {@code server.transport}): io_uring or epoll spend fewer system calls and less garbage per read
   * and write on the proxy's hot path than NIO.
   *
   * @param metrics where Vert.x's own meters go; null when metrics are off
   */
  public static Vertx newVertx(io.vertx.core.transport.Transport transport, GatewayMetrics metrics) {
    VertxOptions options = new VertxOptions();
    io.vertx.core.VertxBuilder builder = metrics == null ? Vertx.builder().with(options) : metrics.vertxBuilder(options);
    return builder.withTransport(transport).build();
  }

  /**
   * Starts a gateway on {@code vertx}. The future completes when the port is open and the first
   * round of health checks and Ollama listings is done.
   *
   * @return the running gateway, or a failed future (e.g. the port is taken)
   */
  public static Future<Gateway> start(Vertx vertx, MagiConfig config) {
    return start(vertx, config, () -> config, java.util.Optional.empty(),
        config.metrics().enabled() ? new GatewayMetrics() : null);
  }

  /**
   * Starts a gateway on {@code vertx} that reloads its configuration from {@code source} when asked
   * ({@code POST /api/config/reload}, {@code SIGHUP} once {@link #reloads()} installs it, and changes
   * to {@code file} with {@code config.watch}).
   *
   * @param source reads and validates the configuration again (blocking; called on a worker)
   * @param file the file {@code source} reads, empty when there is none
   * @param metrics where requests and state are measured, closed when the gateway stops; null when
   *     {@code metrics.enabled} is false
   */
  public static Future<Gateway> start(Vertx vertx, MagiConfig config, java.util.concurrent.Callable<MagiConfig> source,
      java.util.Optional<java.nio.file.Path> file, GatewayMetrics metrics) {
    java.util.random.RandomGenerator random = new java.util.SplittableRandom();
    BackendDirectory directory = new BackendDirectory(policies(config.routing(), random), queueLimits(config));
    directory.replace(CONFIG_SOURCE, staticDeclarations(config));
    RequestParser parser = new RequestParser(config.limits());
    EventMeters events = metrics == null ? EventMeters.NONE : new EventMeters(metrics.registry());
    LocalModels models = new LocalModels(vertx, config, directory, events);
    WebOrigins origins = new WebOrigins(config.server().corsOrigins());
    AdminApi admin = new AdminApi(models, new AdminGuard(config.adminToken(), config.admin().allowedHosts(), origins),
        directory, config.routing());
    Retrieval retrieval = new Retrieval(vertx, config, events, config.apiKeys().isEmpty()
        && config.clientKeys().isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(ApiKeys.INTERNAL));
    List<String> deployments = new ArrayList<>();
    // Port 0 means "any free port": Vert.x shares one random port among instances that listen on -1.
    int port = config.server().port() == 0 ? -1 : config.server().port();
    IdleCollector.Arrivals arrivals = new IdleCollector.Arrivals();
    ClientConnections.Count connections = new ClientConnections.Count(config.server().maxConnections());
    ApiVerticle.Shared shared = new ApiVerticle.Shared(new AccessLog(config.server().accessLogEvery()), arrivals,
        connections, new java.util.concurrent.atomic.AtomicBoolean(), origins, metrics, new MetricsGuard(config),
        dev.magi.gateway.tracing.RequestTracer.of(config.tracing()).orElse(null),
        new dev.magi.gateway.responses.ResponsesApi(config.retrieval().databaseUrl()
            .map(url -> dev.magi.gateway.responses.ResponseStore.persistent(vertx, url, config.retrieval().password(),
                config.responses().storeLimit()))
            .orElseGet(() -> new dev.magi.gateway.responses.ResponseStore(config.responses().storeLimit()))),
        new KeyLimits(config, System::currentTimeMillis), new RequestViews(
            new RecentRequests(config.console().recentRequests(), config.console().captureBodies()),
            new LiveStats(System::currentTimeMillis)),
        // Read from the jar on the caller's thread, which is not an event loop.
        config.console().enabled() ? ConsolePages.load() : null);
    if (metrics != null) {
      metrics.modelServers(new ModelServerMetrics(UpstreamClients.create(vertx, new io.vertx.core.http.HttpClientOptions()
          .setKeepAlive(false).setConnectTimeout(500), new io.vertx.core.http.PoolOptions()), () -> models.fleet().servers(),
          metrics.registry()));
      metrics.beforeScrape(new StateGauges(metrics.registry(), metrics.requests(), directory::routes, () -> models.lifecycle().views(),
          () -> models.fleet().servers(), connections::open));
    }
    List<ApiVerticle> verticles = new ArrayList<>();
    ApiVerticle first = new ApiVerticle(config, port, directory, parser, admin, retrieval, shared);
    verticles.add(first);
    String[] control = new String[1];
    return models.start(vertx)
        .compose(scanned -> vertx.deployVerticle(new ControlVerticle(config, directory)))
        .compose(id -> {
          control[0] = id;
          return vertx.deployVerticle(first);
        })
        .compose(id -> {
          deployments.add(id);
          List<Future<String>> more = new ArrayList<>();
          for (int i = 1; i < config.server().eventLoops(); i++) {
            ApiVerticle verticle = new ApiVerticle(config, port, directory, parser, admin, retrieval, shared);
            verticles.add(verticle);
            more.add(vertx.deployVerticle(verticle));
          }
          // The host's name is looked up on a worker: a resolver can take seconds, and an event loop must not wait.
          return Future.all(more).compose(all -> config.cluster().redisUrl().isPresent()
              ? vertx.executeBlocking(ClusterNode::localHostName, false) : Future.succeededFuture("localhost"))
              .map(hostName -> {
            more.forEach(f -> deployments.add(f.result()));
            models.startUp(config.startupProfile(), config.models().preload());
            retrieval.start(vertx, first.actualPort());
            Runnable stopIdleCollector = IdleCollector.start(arrivals, () -> directory.routes().busy(),
                config.server().idleGcAfter());
            Gateway gateway = new Gateway(vertx, directory, models, deployments, first.actualPort(),
                stopIdleCollector, verticles, shared, config, admin, random, control[0], retrieval);
            gateway.cluster = ClusterNode.join(vertx, config, first.actualPort(), directory, models, hostName)
                .orElse(null);
            admin.cluster(gateway.cluster);
            if (gateway.cluster != null) {
              shared.limits().shareThrough(gateway.cluster.counters(vertx));
            }
            if (gateway.cluster != null && metrics != null) {
              ClusterNode node = gateway.cluster;
              io.micrometer.core.instrument.Gauge.builder("magi.cluster.nodes", () -> node.view().nodes().size())
                  .description("Nodes of the cluster alive at the last heartbeat, this one included")
                  .register(metrics.registry());
              io.micrometer.core.instrument.Gauge.builder("magi.redis.available",
                  () -> node.view().redisAvailable() ? 1 : 0)
                  .description("1 when the last heartbeat reached the cluster's Redis").register(metrics.registry());
            }
            gateway.reloads = new ConfigReload(vertx, gateway, source, file);
            admin.reloader(gateway.reloads);
            gateway.reloads.startWatching();
            return gateway;
          });
        });
  }

  /** Models declared one by one in {@code backends:} (everything but model-less Ollama entries). */
  static List<ModelDeclaration> staticDeclarations(MagiConfig config) {
    Instant now = Instant.now();
    List<ModelDeclaration> declarations = new ArrayList<>();
    for (BackendSettings backend : config.backends()) {
      if (backend.model().isEmpty()) {
        continue;
      }
      String model = backend.model().get();
      String upstream = backend.upstreamModel().orElse(model);
      if (backend.type() == BackendType.OLLAMA) {
        upstream = OllamaModelName.canonical(upstream);
      }
      declarations.add(new ModelDeclaration(model, backend.aliases(), backend.endpoint(), upstream, now,
          backend.slots()));
    }
    return declarations;
  }

  private static java.util.function.Function<String, LoadBalancer> policies(MagiConfig.Routing routing,
      java.util.random.RandomGenerator random) {
    return model -> LoadBalancer.named(routing.policyOf(model), random).orElse(LoadBalancer.LEAST_OUTSTANDING);
  }

  private static AdmissionQueue.Limits queueLimits(MagiConfig config) {
    return new AdmissionQueue.Limits(config.routing().queueLength(), config.routing().queueWait());
  }

  /** What re-reads the configuration: {@code POST /api/config/reload}, {@code SIGHUP}, the file watch. */
  ConfigReload reloads() {
    return reloads;
  }

  /** The configuration in force. */
  public MagiConfig config() {
    return config;
  }

  /**
   * Puts a reloaded configuration into force without a restart, for everything that can change while
   * Magi runs (see {@link ConfigChanges}): requests and streams in flight keep what they began with;
   * a removed backend is no longer routed to and its requests in flight run to their end. Reloads run
   * one at a time.
   *
   * @param loaded the configuration just read and validated
   * @return what changed, and what needs a restart to take effect
   */
  public Future<ConfigChanges> reload(MagiConfig loaded) {
    synchronized (this) {
      Future<ConfigChanges> next = applied.transform(previous -> apply(loaded));
      applied = next;
      return next;
    }
  }

  private Future<ConfigChanges> apply(MagiConfig loaded) {
    MagiConfig before = config;
    MagiConfig next = ConfigChanges.keepEndpoints(before, loaded);
    ConfigChanges changes = ConfigChanges.between(before, next);
    if (changes.none()) {
      return Future.succeededFuture(changes);
    }
    if (!before.routing().equals(next.routing())) {
      directory.reconfigure(policies(next.routing(), random), queueLimits(next));
      admin.routing(next.routing());
    }
    if (!before.backends().equals(next.backends())) {
      directory.replace(CONFIG_SOURCE, staticDeclarations(next));
    }
    // Ollama endpoints no longer configured: the models they listed go too.
    java.util.Set<String> kept = new java.util.HashSet<>();
    next.backends().forEach(b -> kept.add(OllamaDiscovery.sourceOf(b)));
    before.backends().stream().filter(b -> b.type() == BackendType.OLLAMA && b.model().isEmpty())
        .map(OllamaDiscovery::sourceOf).filter(source -> !kept.contains(source))
        .forEach(source -> directory.replace(source, List.of()));
    admin.guard().reconfigure(next.adminToken(), next.admin().allowedHosts());
    shared.metricsGuard().reconfigure(next);
    shared.limits().reconfigure(next);
    shared.views().recent().limit(next.console().recentRequests());
    shared.views().recent().captureBodies(next.console().captureBodies());
    models.profiles().profiles(next.profiles());
    models.lifecycle().settings(LocalModels.lifecycleSettings(next));
    RequestParser parser = new RequestParser(next.limits());
    List<Future<Void>> steps = new ArrayList<>();
    verticles.forEach(verticle -> steps.add(verticle.reconfigure(next, parser)));
    config = next;
    if (!before.backends().equals(next.backends()) || !before.health().equals(next.health())
        || !before.ollamaRefresh().equals(next.ollamaRefresh())) {
      // Health checks and Ollama listings start again with the new endpoints and intervals.
      String old = controlDeployment;
      steps.add(vertx.undeploy(old).recover(failure -> Future.succeededFuture())
          .compose(undeployed -> vertx.deployVerticle(new ControlVerticle(next, directory)))
          .map(id -> {
            controlDeployment = id;
            return null;
          }));
    }
    return Future.join(steps).map(done -> changes);
  }

  /** The port the API listens on. */
  public int port() {
    return port;
  }

  /** The backends and models this gateway routes to. */
  public BackendDirectory directory() {
    return directory;
  }

  /** Local models: the catalogue and the fleet of llama-server processes. */
  LocalModels models() {
    return models;
  }

  /**
   * What a drain ended with, on one event loop or over every one.
   *
   * @param inFlight requests in flight when the drain began
   * @param cut requests cut at the deadline, of those and any begun since (the rest ran to their end)
   */
  public record Drained(int inFlight, int cut) {

    /** Requests that ran to their end. */
    public int finished() {
      return Math.max(0, inFlight - cut);
    }
  }

  /**
   * The first step of a graceful stop: {@code /readyz} turns 503 at once, the listener stops taking
   * connections, and requests in flight run to their end for up to {@code deadline}; then what is
   * still open is cut (a stream gets a {@code server_shutting_down} error event and a clean end, a
   * request not yet answered a 503). Completing {@code hurry} cuts at once. Model servers are left
   * running: {@link #stop()} stops them.
   *
   * @return when every client connection is closed
   */
  public Future<Drained> drain(java.time.Duration deadline, Future<Void> hurry) {
    shared.draining().set(true);
    if (cluster != null) {
      // Out of the cluster at once: the other nodes stop sending here at their next heartbeat.
      cluster.leave();
    }
    List<Future<Drained>> each = new ArrayList<>();
    verticles.forEach(verticle -> each.add(verticle.drain(deadline, hurry)));
    return Future.join(each).map(all -> {
      int inFlight = 0;
      int cut = 0;
      for (Future<Drained> one : each) {
        if (one.succeeded()) {
          inFlight += one.result().inFlight();
          cut += one.result().cut();
        }
      }
      return new Drained(inFlight, cut);
    });
  }

  /** Every route the gateway serves ({@link Routes}). */
  java.util.List<Routes.Route> routeTable() {
    return verticles.get(0).table();
  }

  /** Client connections open now, over every event loop. */
  public int openConnections() {
    return shared.connections().open();
  }

  /**
   * Stops every model server (draining them), then undeploys everything this gateway deployed and closes
   * the vector stores (committed on disk); the Vert.x instance stays open. Children that do not stop are
   * killed.
   */
  public Future<Void> stop() {
    stopIdleCollector.run();
    Future<Void> left = cluster == null ? Future.succeededFuture() : cluster.leave();
    return left.transform(done -> shared.responses().store().flush())
        .transform(done -> models.fleet().stopAll())
        .<Void>eventually(() -> {
          models.close();
          if (shared.metrics() != null) {
            shared.metrics().close();
          }
          if (shared.tracer() != null) {
            // Sends the spans still gathered; the SDK's exporter runs on its own thread.
            return vertx.<Void>executeBlocking(() -> {
              shared.tracer().close();
              return null;
            }, false).<Void>eventually(this::undeployAll);
          }
          return undeployAll();
        })
        .eventually(retrieval::close)
        .mapEmpty();
  }

  /** Undeploys everything this gateway deployed. */
  private Future<Void> undeployAll() {
    List<Future<Void>> undeploys = new ArrayList<>();
    deployments.forEach(id -> undeploys.add(vertx.undeploy(id)));
    undeploys.add(vertx.undeploy(controlDeployment));
    return Future.join(undeploys).mapEmpty();
  }
}
