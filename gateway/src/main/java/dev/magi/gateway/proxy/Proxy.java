package dev.magi.gateway.proxy;

import dev.magi.gateway.api.ApiException;
import dev.magi.gateway.api.ApiRequest;
import dev.magi.gateway.api.CallerContext;
import dev.magi.gateway.config.MagiConfig;
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

  private final Vertx vertx;
  private final UpstreamClient client;
  private final BackendDirectory directory;
  private final MagiConfig config;
  private final Loader loader;
  private final Watchdog watchdog;

  /** Loads models that are not routable yet but can be made so (on-demand models). */
  public interface Loader {
    /** Notes a request for {@code model}. */
    void used(String model);

    /** Starts {@code model} if it can be started; empty when it cannot. */
    Optional<Future<BackendPool>> load(String model);

    /** Loads nothing. */
    Loader NONE = new Loader() {
      @Override
      public void used(String model) {
      }

      @Override
      public Optional<Future<BackendPool>> load(String model) {
        return Optional.empty();
      }
    };
  }

  /**
   * @param client the upstream client, created on the event loop that will use it
   * @param directory where model names are resolved
   * @param loader what starts models on demand
   */
  public Proxy(Vertx vertx, UpstreamClient client, BackendDirectory directory, MagiConfig config, Loader loader) {
    this.vertx = vertx;
    this.client = client;
    this.directory = directory;
    this.config = config;
    this.loader = loader;
    this.watchdog = new Watchdog(vertx);
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
   * Resolves the request's model and starts the exchange that answers it on {@code response}. A model
   * that can be loaded on demand is loaded first; the request waits for it (a client that leaves
   * meanwhile is simply not answered).
   *
   * @param attempts told of each backend the request is sent to; may be null
   * @throws ApiException 404 {@code model_not_found} when no backend serves the model and none can be loaded
   */
  public void forward(ApiRequest request, HttpServerResponse response, String requestId,
      AttemptListener attempts) {
    loader.used(request.model());
    Optional<BackendPool> pool = directory.routes().resolve(request.model());
    if (pool.isPresent()) {
      new Exchange(vertx, client, response, request, pool.get(), config, requestId, watchdog, attempts).start();
      return;
    }
    Future<BackendPool> loading = loader.load(request.model())
        .orElseThrow(() -> ApiException.modelNotFound(request.model()));
    CallerContext.resume(loading).onComplete(loaded -> {
      if (response.closed() || response.ended()) {
        return;
      }
      if (loaded.failed()) {
        ErrorResponses.send(response, new ApiException(503, "server_error", null, "model_load_failed",
            "Model '" + request.model() + "' could not be loaded: " + loaded.cause().getMessage(),
            java.util.Map.of("Retry-After", "5")));
        return;
      }
      new Exchange(vertx, client, response, request, loaded.result(), config, requestId, watchdog, attempts)
          .start();
    });
  }
}
