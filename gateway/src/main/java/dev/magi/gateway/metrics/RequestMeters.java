package dev.magi.gateway.metrics;

import static dev.magi.gateway.metrics.EventMeters.seconds;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The per-request series of {@code /metrics}: one call of {@link #record} per request to a model, when
 * it ends. Each label value comes from a bounded set: {@code model} is a served or configured model
 * id (or {@code unknown}), {@code endpoint} a proxied route, {@code backend} a configured endpoint (or
 * {@code none}), {@code status} an HTTP status (or {@code cut}); a client's free text never becomes a
 * label. Meters are made once per label set and kept, so a request costs map lookups and increments.
 *
 * <p>Thread-safe: every event loop records here.
 */
public final class RequestMeters {

  /** What one finished request tells the meters. Times are {@link System#nanoTime()} values. */
  public interface Facts {
    /** The proxied route, such as {@code /v1/chat/completions}. */
    String endpoint();

    String model();

    String status();

    String backend();

    /** Whether the backend that answered (or was tried last) is another node of the cluster. */
    boolean forwarded();

    long startNanos();

    /** Backends tried: 0 when none was, 2 after a retry. */
    int attempts();

    /** When the first event (a whole answer's head) arrived; 0 when none did. */
    long firstEventNanos();

    /** When the last piece of a stream arrived (the head's time for a whole answer). */
    long lastEventNanos();

    /** Whether the answer was a stream of events. */
    boolean streamed();

    /** Time spent in the gateway itself, -1 when the request never reached a backend. */
    long gatewayNanos();

    /** Time waited for the model to load and for a slot, -1 when the request never reached a backend. */
    long waitedNanos();

    /** Why the model's queue refused the request ({@code queue_full}, ...), null when it did not. */
    String refusal();

    /** Prompt tokens the answer reported, -1 when it reported none. */
    long promptTokens();

    long completionTokens();
  }

  // Bucket bounds chosen for language models: a first token takes from milliseconds (cached prompt,
  // small model) to minutes (a long prompt on a CPU); tokens follow each other in 5-200 ms.
  private static final Duration[] REQUEST_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30,
      60, 120, 300, 600);
  private static final Duration[] FIRST_TOKEN_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
      10, 30, 60, 120);
  private static final Duration[] TOKEN_GAP_BUCKETS = seconds(0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05,
      0.075, 0.1, 0.15, 0.25, 0.5, 1);
  private static final Duration[] OVERHEAD_BUCKETS = seconds(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
      0.01, 0.025, 0.05, 0.1);
  private static final Duration[] WAIT_BUCKETS = seconds(0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120);
  private static final double[] RATE_BUCKETS = {1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000};

  /** The admission queue's reasons for refusing, as labels. */
  private static final java.util.List<String> REFUSALS = java.util.Arrays.stream(
      dev.magi.router.AdmissionException.Reason.values()).map(r -> r.name().toLowerCase(java.util.Locale.ROOT)).toList();

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, ModelMeters> models = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> overhead = new ConcurrentHashMap<>();

  public RequestMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Makes the series of a model that serves requests exist before its first request, at zero: a
   * counter that appears only when it first counts cannot be told from one that never will, and
   * {@code rate()} over it starts late.
   */
  public void known(String model) {
    models.computeIfAbsent(model, ModelMeters::new);
  }

  /** Records one request that ended at {@code endNanos}. */
  public void record(Facts request, long endNanos) {
    ModelMeters model = models.computeIfAbsent(request.model(), ModelMeters::new);
    String endpoint = request.endpoint();
    model.requests(endpoint, request.status(), request.backend()).increment();
    model.duration(endpoint).record(endNanos - request.startNanos(), TimeUnit.NANOSECONDS);
    if (request.forwarded()) {
      model.forwarded(request.backend()).increment();
    }
    if (request.attempts() > 1) {
      model.retries.increment(request.attempts() - 1);
    }
    String refusal = request.refusal();
    if (refusal != null) {
      model.rejections(refusal).increment();
    }
    long waited = request.waitedNanos();
    if (waited >= 0) {
      model.queueWait.record(waited, TimeUnit.NANOSECONDS);
    }
    long gateway = request.gatewayNanos();
    if (gateway >= 0) {
      overhead.computeIfAbsent(endpoint, this::overheadTimer).record(gateway, TimeUnit.NANOSECONDS);
    }
    long firstEvent = request.firstEventNanos();
    if (firstEvent == 0) {
      return;
    }
    model.firstToken.record(firstEvent - request.startNanos(), TimeUnit.NANOSECONDS);
    long prompt = request.promptTokens();
    long completion = request.completionTokens();
    if (prompt < 0) {
      return;
    }
    model.promptTokens.increment(prompt);
    model.completionTokens.increment(completion);
    if (request.streamed()) {
      long generating = request.lastEventNanos() - firstEvent;
      if (completion >= 2 && generating > 0) {
        model.tokenGap.record(generating / (completion - 1), TimeUnit.NANOSECONDS);
        model.tokensPerSecond.record((completion - 1) * 1e9 / generating);
      }
    } else if (completion > 0) {
      // A whole answer: its tokens over the time from sending to its end, prompt processing included.
      long generating = endNanos - request.startNanos() - Math.max(0, waited);
      if (generating > 0) {
        model.tokensPerSecond.record(completion * 1e9 / generating);
      }
    }
  }

  private Timer overheadTimer(String endpoint) {
    return Timer.builder("magi.gateway.overhead")
        .description("Time a request spends in Magi itself: body read to upstream write, plus each upstream "
            + "piece's arrival to its hand-off to the client")
        .tag("endpoint", endpoint)
        .serviceLevelObjectives(OVERHEAD_BUCKETS)
        .register(registry);
  }

  /** The meters of one model. */
  private final class ModelMeters {

    private final String model;
    private final ConcurrentHashMap<RequestKey, Counter> requests = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> durations = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> rejections = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> forwards = new ConcurrentHashMap<>();
    private final Timer firstToken;
    private final Timer tokenGap;
    private final Timer queueWait;
    private final DistributionSummary tokensPerSecond;
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final Counter retries;

    ModelMeters(String model) {
      this.model = model;
      firstToken = Timer.builder("magi.time.to.first.token")
          .description("From the request's arrival to the backend's first event (a whole answer's head)")
          .tag("model", model).serviceLevelObjectives(FIRST_TOKEN_BUCKETS).register(registry);
      tokenGap = Timer.builder("magi.inter.token.latency")
          .description("Mean time between tokens of a streamed answer, one observation per request")
          .tag("model", model).serviceLevelObjectives(TOKEN_GAP_BUCKETS).register(registry);
      queueWait = Timer.builder("magi.queue.wait")
          .description("Time a request waited for a backend's slot, or for its model to load")
          .tag("model", model).serviceLevelObjectives(WAIT_BUCKETS).register(registry);
      tokensPerSecond = DistributionSummary.builder("magi.tokens.per.second")
          .description("Completion tokens per second of generation, one observation per request")
          .tag("model", model).serviceLevelObjectives(RATE_BUCKETS).register(registry);
      promptTokens = tokens("prompt");
      completionTokens = tokens("completion");
      retries = Counter.builder("magi.retries").description("Requests sent again to another backend")
          .tag("model", model).register(registry);
      for (String reason : REFUSALS) {
        rejections(reason);
      }
    }

    private Counter tokens(String kind) {
      return Counter.builder("magi.tokens").description("Tokens backends reported in their answers' usage")
          .tag("model", model).tag("kind", kind).register(registry);
    }

    Counter requests(String endpoint, String status, String backend) {
      return requests.computeIfAbsent(new RequestKey(endpoint, status, backend), key -> Counter.builder("magi.requests")
          .description("Requests to models, by how they ended")
          .tag("model", model).tag("endpoint", key.endpoint()).tag("status", key.status())
          .tag("backend", key.backend()).register(registry));
    }

    Timer duration(String endpoint) {
      return durations.computeIfAbsent(endpoint, name -> Timer.builder("magi.request.duration")
          .description("From the request's arrival to the end of its answer")
          .tag("model", model).tag("endpoint", name).serviceLevelObjectives(REQUEST_BUCKETS).register(registry));
    }

    Counter forwarded(String node) {
      return forwards.computeIfAbsent(node, name -> Counter.builder("magi.cluster.forwarded")
          .description("Requests forwarded to another node of the cluster")
          .tag("model", model).tag("node", name).register(registry));
    }

    Counter rejections(String reason) {
      return rejections.computeIfAbsent(reason, name -> Counter.builder("magi.queue.rejections")
          .description("Requests the model's admission queue refused")
          .tag("model", model).tag("reason", name).register(registry));
    }
  }

  private record RequestKey(String endpoint, String status, String backend) {
  }
}
