package dev.magi.router;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One model on one endpoint: where a request for {@link #modelId()} may be sent.
 *
 * <p>The number of requests in flight is counted here and never exceeds {@link #slots()} when
 * requests are admitted through the model's {@link AdmissionQueue}. Every {@link #begin()} must be
 * matched by exactly one {@link Lease#release()}.
 */
public final class Backend {

  /** {@link #slots()} of a backend Magi does not limit. */
  public static final int UNLIMITED = Integer.MAX_VALUE;

  private final Endpoint endpoint;
  private final String modelId;
  private final String upstreamModel;
  private final int configuredSlots;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile AdmissionQueue queue;
  private volatile double firstEventMillis;
  private final Signal idle = new Signal();

  /**
   * @param endpoint the server that hosts the model
   * @param modelId the id clients use
   * @param upstreamModel the name the endpoint knows the model by (Ollama's {@code llama3.2:latest})
   * @param configuredSlots requests it may run at once; 0 means: ask the endpoint, else the type's default
   */
  public Backend(Endpoint endpoint, String modelId, String upstreamModel, int configuredSlots) {
    this.endpoint = endpoint;
    this.modelId = modelId;
    this.upstreamModel = upstreamModel;
    this.configuredSlots = configuredSlots;
  }

  /** A backend whose slots come from the endpoint or its type. */
  public Backend(Endpoint endpoint, String modelId, String upstreamModel) {
    this(endpoint, modelId, upstreamModel, 0);
  }

  /** The server behind this backend. */
  public Endpoint endpoint() {
    return endpoint;
  }

  /** The model id clients use. */
  public String modelId() {
    return modelId;
  }

  /** The name the endpoint knows the model by. */
  public String upstreamModel() {
    return upstreamModel;
  }

  /**
   * How many requests it may run at once: the configured number, else what the endpoint reported
   * (llama-server's {@code total_slots}), else the default of its type.
   */
  public int slots() {
    if (configuredSlots > 0) {
      return configuredSlots;
    }
    int discovered = endpoint.discoveredSlots();
    return discovered > 0 ? discovered : endpoint.type().defaultSlots();
  }

  /** Requests sent to this backend and not yet finished. */
  public int inFlight() {
    return inFlight.get();
  }

  /**
   * Completes when no request is in flight: at once if none is, else when the last lease is
   * released (for a drain, which waits for this rather than polling).
   */
  public io.vertx.core.Future<Void> whenIdle() {
    return idle.await(() -> inFlight.get() == 0);
  }

  /**
   * Whether another request may be sent now: the endpoint is not ejected, and fewer requests are in
   * flight than its slots (scaled down during a slow start, never below one).
   */
  public boolean hasFreeSlot() {
    Outliers outliers = endpoint.outliers();
    if (outliers.isEjected()) {
      return false;
    }
    int slots = slots();
    if (slots == UNLIMITED) {
      return true;
    }
    int allowed = Math.max(1, (int) Math.floor(slots * outliers.share()));
    return inFlight.get() < allowed;
  }

  /** Counts one more request in flight; the lease ends it, once, however often it is released. */
  public Lease begin() {
    inFlight.incrementAndGet();
    return new Lease(this);
  }

  /**
   * Records how long a request waited for its first event (or its whole answer when not streamed).
   * Kept as an exponentially weighted average (weight 0.3 for the newest), for {@link LoadBalancer}s.
   */
  public void recordFirstEvent(double millis) {
    double previous = firstEventMillis;
    firstEventMillis = previous == 0 ? millis : previous * 0.7 + millis * 0.3;
  }

  /** The average time to first event in milliseconds; 0 before any was recorded. */
  public double firstEventMillis() {
    return firstEventMillis;
  }

  /** Attaches the queue to tell when a slot frees up. */
  void queue(AdmissionQueue queue) {
    this.queue = queue;
  }

  int configuredSlots() {
    return configuredSlots;
  }

  /** A key that identifies this backend across rebuilds of the route table. */
  String key() {
    return endpoint.name() + "|" + upstreamModel + "|" + modelId + "|" + configuredSlots;
  }

  @Override
  public String toString() {
    return modelId + "@" + endpoint.name();
  }

  /** One request's claim on a backend. */
  public static final class Lease {
    private final Backend backend;
    private boolean released;

    private Lease(Backend backend) {
      this.backend = backend;
    }

    /** The backend this lease counts against. */
    public Backend backend() {
      return backend;
    }

    /** Ends the claim and lets the next waiting request in; later calls do nothing. */
    public void release() {
      if (!released) {
        released = true;
        if (backend.inFlight.decrementAndGet() == 0) {
          backend.idle.fire();
        }
        AdmissionQueue queue = backend.queue;
        if (queue != null) {
          queue.pump();
        }
      }
    }
  }
}
