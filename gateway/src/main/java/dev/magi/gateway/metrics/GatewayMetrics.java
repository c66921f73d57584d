package dev.magi.gateway.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The gateway's one meter registry, in Prometheus's terms (Micrometer's Prometheus registry), and what
 * {@code GET /metrics} answers: the per-request series ({@link RequestMeters}), the state of the router
 * and the models read at each scrape ({@link StateGauges}), the JVM's and the process's own, and Vert.x's
 * worker pools when the Vert.x instance was built with {@link #vertxBuilder}.
 *
 * <p>Thread-safe. A scrape formats every series: call {@link #scrape()} on a worker, not an event loop.
 */
public final class GatewayMetrics implements AutoCloseable {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final RequestMeters requests = new RequestMeters(registry);
  private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();
  private volatile ModelServerMetrics modelServers;

  /**
   * A registry with the JVM and process series bound. Two of Micrometer's names break Prometheus's
   * naming rules ({@code promtool check metrics} flags them), so they are served under conforming ones:
   * {@code system_cpu_count} as {@code system_cpus}, and the process's CPU time as
   * {@code process_cpu_seconds_total} (the Prometheus client's own name) instead of
   * {@code process_cpu_time_ns_total}.
   */
  public GatewayMetrics() {
    registry.config()
        .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
        .meterFilter(new MeterFilter() {
          @Override
          public Meter.Id map(Meter.Id id) {
            return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
          }
        });
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      FunctionCounter.builder("process.cpu", os, bean -> bean.getProcessCpuTime() / 1e9).baseUnit("seconds")
          .description("CPU time the process has used").register(registry);
    }
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    bindGarbageCollectors();
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  /**
   * {@code options} with Vert.x's own metrics reported here: its worker pools only ({@code vertx_pool_*}:
   * queue, usage, in use), which tell when blocking work backs up. The HTTP and TCP domains stay off:
   * they would measure every request a second time, on the hot path.
   */
  public io.vertx.core.VertxBuilder vertxBuilder(VertxOptions options) {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions().setEnabled(true);
    for (MetricsDomain domain : MetricsDomain.values()) {
      if (domain != MetricsDomain.NAMED_POOLS) {
        metrics.addDisabledMetricsCategory(domain);
      }
    }
    return io.vertx.core.Vertx.builder().with(options.setMetricsOptions(metrics))
        .withMetrics(new MicrometerMetricsFactory(registry));
  }

  /** Where requests are measured. */
  public RequestMeters requests() {
    return requests;
  }

  /** The registry, for meters of other rooms (retrieval, models). */
  public io.micrometer.core.instrument.MeterRegistry registry() {
    return registry;
  }

  /** Runs {@code refresh} before each scrape, to bring series read off live state up to date. */
  public void beforeScrape(Runnable refresh) {
    beforeScrape.add(refresh);
  }

  /** Adds the local model servers' own series to every scrape. */
  public void modelServers(ModelServerMetrics servers) {
    modelServers = servers;
  }

  /**
   * Everything {@code /metrics} answers: the model servers' series (asked without blocking), then
   * Magi's own formatted on a worker, theirs after.
   */
  public io.vertx.core.Future<String> scrape(io.vertx.core.Vertx vertx) {
    ModelServerMetrics servers = modelServers;
    io.vertx.core.Future<String> theirs = servers == null ? io.vertx.core.Future.succeededFuture("") : servers.scrape();
    return theirs.compose(extra -> vertx.executeBlocking(() -> scrape() + extra, false));
  }

  /** Magi's own series, in Prometheus's text format (version 0.0.4). Blocking: call it on a worker. */
  public synchronized String scrape() {
    beforeScrape.forEach(Runnable::run);
    return registry.scrape();
  }

  /**
   * {@code jvm_gc_collections_total{gc}} and {@code jvm_gc_collection_seconds_total{gc}}, read off the
   * collectors at each scrape. Micrometer's JvmGcMetrics listens to every collection instead, and under
   * the launcher's small young generation (hundreds of collections a second under load) its
   * notification thread took 2 % of the gateway's core in a profile of stream-throughput.
   */
  private void bindGarbageCollectors() {
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      FunctionCounter.builder("jvm.gc.collections", gc, java.lang.management.GarbageCollectorMXBean::getCollectionCount)
          .description("Garbage collections").tag("gc", gc.getName()).register(registry);
      FunctionCounter.builder("jvm.gc.collection", gc, bean -> bean.getCollectionTime() / 1000.0).baseUnit("seconds")
          .description("Time spent in garbage collections").tag("gc", gc.getName()).register(registry);
    }
  }

  @Override
  public void close() {
    registry.close();
  }
}
