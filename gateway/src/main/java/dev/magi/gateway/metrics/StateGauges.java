package dev.magi.gateway.metrics;

import dev.magi.models.ModelLifecycle;
import dev.magi.router.Backend;
import dev.magi.router.BackendPool;
import dev.magi.router.Endpoint;
import dev.magi.router.RouteTable;
import dev.magi.servers.ServerInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Series read off the router's and the models' live state at each scrape, rather than counted as
 * things happen: queue depth, backends' in-flight requests, slots and health, ejections, each local
 * model's status and its servers' restarts, and the client connections open. Backends and models come
 * and go; the gauges list what exists at the scrape. The counters among them (ejections, restarts) add
 * what grew since the last scrape, so they never go backwards when a backend or a server is replaced.
 *
 * <p>Refreshed by {@link GatewayMetrics#scrape()}, one scrape at a time.
 */
public final class StateGauges implements Runnable {

  private final MeterRegistry registry;
  private final RequestMeters requests;
  private final Supplier<RouteTable> routes;
  private final Supplier<List<ModelLifecycle.View>> models;
  private final Supplier<List<ServerInfo>> servers;
  private final MultiGauge queueDepth;
  private final MultiGauge inFlight;
  private final MultiGauge slots;
  private final MultiGauge healthy;
  private final MultiGauge modelStatus;
  /** Ejections seen at the last scrape, by backend (its endpoint, per model). */
  private Map<Backend, Integer> ejectionsSeen = new IdentityHashMap<>();
  /** Restarts seen at the last scrape, by server name. */
  private Map<String, Integer> restartsSeen = new HashMap<>();

  /**
   * @param requests the per-request series, made to exist for each model routed to
   * @param routes the router's table now
   * @param models the local models and their status now
   * @param servers the local model servers now
   * @param connections client connections open now
   */
  public StateGauges(MeterRegistry registry, RequestMeters requests, Supplier<RouteTable> routes,
      Supplier<List<ModelLifecycle.View>> models, Supplier<List<ServerInfo>> servers, IntSupplier connections) {
    this.registry = registry;
    this.requests = requests;
    this.routes = routes;
    this.models = models;
    this.servers = servers;
    queueDepth = MultiGauge.builder("magi.queue.depth").description("Requests waiting for a backend's slot")
        .register(registry);
    inFlight = MultiGauge.builder("magi.backend.in.flight").description("Requests a backend is running")
        .register(registry);
    slots = MultiGauge.builder("magi.backend.slots").description("Requests a backend runs at once")
        .register(registry);
    healthy = MultiGauge.builder("magi.backend.healthy")
        .description("1 when the backend passes its health checks and is not ejected").register(registry);
    modelStatus = MultiGauge.builder("magi.model.status")
        .description("1 for a local model's current status (loaded, loading, unloaded, failed)").register(registry);
    io.micrometer.core.instrument.Gauge.builder("magi.http.connections", connections::getAsInt)
        .description("Client connections open").register(registry);
  }

  @Override
  public void run() {
    RouteTable table = routes.get();
    List<MultiGauge.Row<?>> depth = new ArrayList<>();
    List<MultiGauge.Row<?>> running = new ArrayList<>();
    List<MultiGauge.Row<?>> capacity = new ArrayList<>();
    List<MultiGauge.Row<?>> up = new ArrayList<>();
    Map<Backend, Integer> ejections = new IdentityHashMap<>();
    for (BackendPool pool : table.pools()) {
      String model = pool.modelId();
      requests.known(model);
      depth.add(MultiGauge.Row.of(Tags.of("model", model), pool.queue().waiting()));
      for (Backend backend : pool.backends()) {
        Endpoint endpoint = backend.endpoint();
        Tags tags = Tags.of("model", model, "backend", endpoint.name());
        running.add(MultiGauge.Row.of(tags, backend.inFlight()));
        int slotCount = backend.slots();
        capacity.add(MultiGauge.Row.of(tags, slotCount == Backend.UNLIMITED ? Double.NaN : slotCount));
        boolean ok = endpoint.health() == dev.magi.router.Health.HEALTHY && !endpoint.outliers().isEjected();
        up.add(MultiGauge.Row.of(tags, ok ? 1 : 0));
        int now = endpoint.outliers().ejections();
        ejections.put(backend, now);
        int before = ejectionsSeen.getOrDefault(backend, 0);
        Counter counter = Counter.builder("magi.backend.ejections")
            .description("Times a backend was taken out of rotation for failing").tags(tags).register(registry);
        if (now > before) {
          counter.increment(now - before);
        }
      }
    }
    ejectionsSeen = ejections;
    queueDepth.register(depth, true);
    inFlight.register(running, true);
    slots.register(capacity, true);
    healthy.register(up, true);

    List<MultiGauge.Row<?>> statuses = new ArrayList<>();
    for (ModelLifecycle.View view : models.get()) {
      for (ModelLifecycle.Status status : ModelLifecycle.Status.values()) {
        statuses.add(MultiGauge.Row.of(Tags.of("model", view.entry().id(), "status", status.json()),
            view.status() == status ? 1 : 0));
      }
    }
    modelStatus.register(statuses, true);

    Map<String, Integer> restarts = new HashMap<>();
    for (ServerInfo server : servers.get()) {
      restarts.put(server.name(), server.restarts());
      int before = restartsSeen.getOrDefault(server.name(), 0);
      Counter counter = Counter.builder("magi.model.server.restarts")
          .description("Times a local model's server was restarted after it crashed")
          .tag("model", server.model()).register(registry);
      if (server.restarts() > before) {
        counter.increment(server.restarts() - before);
      }
    }
    restartsSeen = restarts;
  }
}
