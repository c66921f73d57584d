package dev.magi.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The series of things that happen now and then, outside requests to models: local models loading,
 * profiles switching, retrieval operations. {@link #NONE} records nothing, for a gateway whose
 * metrics are off. Thread-safe.
 */
public final class EventMeters {

  /** Records nothing. */
  public static final EventMeters NONE = new EventMeters(null);

  /** A profile switch's result label: every change made. */
  public static final String SWITCH_SUCCESS = "success";
  /** Some models could not be started; the others were. */
  public static final String SWITCH_PARTIAL = "partial";
  /** Refused before anything changed: unknown profile, over its memory budget, another switch under way. */
  public static final String SWITCH_REFUSED = "refused";
  /** Failed for another reason. */
  public static final String SWITCH_FAILED = "failed";

  private static final Duration[] LOAD_BUCKETS = seconds(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600);
  private static final Duration[] RETRIEVAL_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
      10, 30, 60);

  private final MeterRegistry registry;

  /** @param registry where the series go; null records nothing */
  public EventMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /** A server of {@code model} became ready, {@code took} after its process was spawned. */
  public void modelLoaded(String model, Duration took) {
    if (registry == null) {
      return;
    }
    Timer.builder("magi.model.load").description("From spawning a model's server to its first healthy answer")
        .tag("model", model).serviceLevelObjectives(LOAD_BUCKETS).register(registry).record(took);
  }

  /**
   * A profile switch ended.
   *
   * @param profile the profile's name, or {@code unknown} when no such profile is configured
   * @param result one of the {@code SWITCH_} labels
   */
  public void profileSwitched(String profile, String result, Duration took) {
    if (registry == null) {
      return;
    }
    Counter.builder("magi.profile.switches").description("Profile activations, by how they ended")
        .tag("profile", profile).tag("result", result).register(registry).increment();
    Timer.builder("magi.profile.switch").description("How long profile activations took")
        .serviceLevelObjectives(LOAD_BUCKETS).register(registry).record(took);
  }

  /** The operations of retrieval that are measured: the writes and the searches. */
  public static final Set<String> RETRIEVAL_OPERATIONS = Set.of("create", "delete", "ingest", "search", "upload",
      "attach", "detach");

  /**
   * A retrieval operation ended.
   *
   * @param operation one of {@link #RETRIEVAL_OPERATIONS}
   * @param store {@code postgresql} or {@code memory}
   * @param result {@code ok}, {@code unavailable} (the store could not be reached) or {@code error}
   *     (the request was wrong, or named what does not exist)
   */
  public void retrieval(String operation, String store, String result, long nanos) {
    if (registry == null) {
      return;
    }
    Counter.builder("magi.retrieval.requests").description("Retrieval operations, by how they ended")
        .tag("operation", operation).tag("store", store).tag("result", result).register(registry).increment();
    Timer.builder("magi.retrieval.duration").description("How long retrieval operations took")
        .tag("operation", operation).tag("store", store).serviceLevelObjectives(RETRIEVAL_BUCKETS)
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Serves {@code magi_retrieval_store_available{store}}: 1 while the store answers its checks. */
  public void retrievalStore(String store, BooleanSupplier available) {
    if (registry == null) {
      return;
    }
    Gauge.builder("magi.retrieval.store.available", () -> available.getAsBoolean() ? 1 : 0)
        .description("1 while the vector store answers").tag("store", store).strongReference(true).register(registry);
  }

  static Duration[] seconds(double... bounds) {
    Duration[] durations = new Duration[bounds.length];
    for (int i = 0; i < bounds.length; i++) {
      durations[i] = Duration.ofNanos(Math.round(bounds[i] * 1e9));
    }
    return durations;
  }
}
