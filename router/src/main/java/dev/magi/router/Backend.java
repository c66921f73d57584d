package dev.magi.router;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One model on one endpoint: where a request for {@link #modelId()} may be sent.
 *
 * <p>The number of requests in flight is counted here; every {@link #begin()} must be matched by
 * exactly one {@link Lease#release()}.
 */
public final class Backend {

  private final Endpoint endpoint;
  private final String modelId;
  private final String upstreamModel;
  private final AtomicInteger inFlight = new AtomicInteger();

  /**
   * @param endpoint the server that hosts the model
   * @param modelId the id clients use
   * @param upstreamModel the name the endpoint knows the model by (Ollama's {@code llama3.2:latest})
   */
  public Backend(Endpoint endpoint, String modelId, String upstreamModel) {
    this.endpoint = endpoint;
    this.modelId = modelId;
    this.upstreamModel = upstreamModel;
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

  /** Requests sent to this backend and not yet finished. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Counts one more request in flight; the lease ends it, once, however often it is released. */
  public Lease begin() {
    inFlight.incrementAndGet();
    return new Lease(this);
  }

  /** A key that identifies this backend across rebuilds of the route table. */
  String key() {
    return endpoint.name() + "|" + upstreamModel + "|" + modelId;
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

    /** Ends the claim; later calls do nothing. Must be called on the request's own context. */
    public void release() {
      if (!released) {
        released = true;
        backend.inFlight.decrementAndGet();
      }
    }
  }
}
