package dev.magi.proxy;

import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.CallerContext;
import dev.magi.proxy.api.ClientFace;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendPool;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import java.util.Optional;

/**
 * Forwards validated OpenAI requests to the backends that serve their model. One per event loop:
 * it owns the HTTP client whose pooled connections that loop uses.
 */
public final class Proxy {

  /**
   * The header that marks a request one node of the cluster forwarded to another; the receiving node
   * honours it only from a caller that presented the cluster's secret.
   */
  public static final String FORWARDED = "X-Magi-Forwarded";

  private final Vertx vertx;
  private final UpstreamClient client;
  private final BackendDirectory directory;
  private ProxySettings settings;
  private final Loader loader;
  private final Watchdog watchdog;

  /** Makes known models routable: loads them, or waits while they load or restart. */
  public interface Loader {
    /** Notes a request for {@code model}. */
    void used(String model);

    /**
     * The pool of a known model that is not routable now, once it is; empty when the name is not a
     * model that can be loaded. The future fails with an {@link ApiException} (the gateway's answer) when it
     * cannot be loaded or is not ready within the wait allowed.
     */
    Optional<Future<BackendPool>> load(String model);

    /**
     * The pool of a managed model once a server of it that is not in {@code exclude} has joined it:
     * for a request whose every backend failed before answering (a crashed server being restarted).
     * Empty when the model is not one whose servers come back by themselves.
     */
    Optional<Future<BackendPool>> recover(String model, java.util.Collection<dev.magi.router.Backend> exclude);
  }

  /**
   * @param client the upstream client, created on the event loop that will use it
   * @param directory where model names are resolved
   * @param loader what starts models on demand
   */
  public Proxy(Vertx vertx, UpstreamClient client, BackendDirectory directory, ProxySettings settings,
      Loader loader) {
    this.vertx = vertx;
    this.client = client;
    this.directory = directory;
    this.settings = settings;
    this.loader = loader;
    this.watchdog = new Watchdog(vertx);
  }

  /**
   * The settings exchanges begun from now on use (their timeouts); call it on this proxy's event
   * loop. Exchanges in flight keep the one they began with.
   */
  public void settings(ProxySettings next) {
    this.settings = next;
  }

  /**
   * Ends every exchange of this event loop at once, for a gateway that stops: a stream gets
   * {@code error} as its last event and a clean end, a request not answered yet gets {@code error}, a
   * non-streamed body being relayed is cut (its connection reset). Call it on this proxy's event loop.
   *
   * @return how many exchanges were ended
   */
  public int cut(ApiException error) {
    return watchdog.cutAll(error);
  }

  /**
   * Resolves the request's model and starts the exchange that answers it on {@code response}. A known
   * model that is not routable now (not loaded, loading, restarting) is waited for, loaded first if it
   * must be (a client that leaves meanwhile is simply not answered).
   *
   * @param trace the client's trace context, carried on to the backend; null when it sent none
   * @param observer hears what happens to the request (the access log's entry); may be null
   * @param localOnly whether only this node's own backends may serve it: a request another node of the
   *     cluster forwarded here is never forwarded again
   * @param face the API the client speaks, which shapes its answer and its errors
   * @throws ApiException 404 {@code model_not_found} when no backend serves the model and none can be loaded
   */
  public void forward(ApiRequest request, HttpServerResponse response, String requestId, TraceContext trace,
      ExchangeObserver observer, boolean localOnly, ClientFace face) {
    loader.used(request.model());
    Optional<BackendPool> pool = directory.routes().resolve(request.model());
    if (pool.isPresent()) {
      new Exchange(vertx, client, response, request, pool.get(), settings, requestId, trace, watchdog, observer,
          loader, localOnly, face).start();
      return;
    }
    Future<BackendPool> loading = loader.load(request.model())
        .orElseThrow(() -> ApiException.modelNotFound(request.model()));
    ExchangeObserver told = observer == null ? ExchangeObserver.NONE : observer;
    told.routed(request.model());
    long askedAtNanos = System.nanoTime();
    CallerContext.resume(loading).onComplete(loaded -> {
      told.waited(System.nanoTime() - askedAtNanos);
      if (response.closed() || response.ended()) {
        return;
      }
      if (loaded.failed()) {
        ErrorResponses.send(response, loaded.cause() instanceof ApiException error ? error
            : ApiException.retryable("model_load_failed", "Model '" + request.model() + "' could not be loaded: "
                + loaded.cause().getMessage()), face);
        return;
      }
      new Exchange(vertx, client, response, request, loaded.result(), settings, requestId, trace, watchdog, observer,
          loader, localOnly, face).start();
    });
  }
}
