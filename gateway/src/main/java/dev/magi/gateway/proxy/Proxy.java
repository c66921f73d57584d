package dev.magi.gateway.proxy;

import dev.magi.gateway.api.ApiException;
import dev.magi.gateway.api.ApiRequest;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendPool;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServerResponse;

/**
 * Forwards validated OpenAI requests to the backends that serve their model. One per event loop:
 * it owns the HTTP client whose pooled connections that loop uses.
 */
public final class Proxy {

  private final Vertx vertx;
  private final HttpClient client;
  private final BackendDirectory directory;
  private final MagiConfig config;

  /**
   * @param client the upstream client, created on the event loop that will use it
   * @param directory where model names are resolved
   */
  public Proxy(Vertx vertx, HttpClient client, BackendDirectory directory, MagiConfig config) {
    this.vertx = vertx;
    this.client = client;
    this.directory = directory;
    this.config = config;
  }

  /**
   * Resolves the request's model and starts the exchange that answers it on {@code response}.
   *
   * @throws ApiException 404 {@code model_not_found} when no backend serves the model
   */
  public void forward(ApiRequest request, HttpServerResponse response, String requestId) {
    BackendPool pool = directory.routes().resolve(request.model())
        .orElseThrow(() -> ApiException.modelNotFound(request.model()));
    new Exchange(vertx, client, response, request, pool, config, requestId).start();
  }
}
