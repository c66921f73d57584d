package dev.magi.servers;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/** {@code GET http://127.0.0.1:<port>/health}, with a short timeout. */
public final class HttpHealthProbe implements HealthProbe {

  private static final long TIMEOUT_MILLIS = 2000;

  private final HttpClient client;

  /** @param client the client to ask with */
  public HttpHealthProbe(HttpClient client) {
    this.client = client;
  }

  @Override
  public Future<Integer> status(int port) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
        .setURI("/health").setConnectTimeout(TIMEOUT_MILLIS).setIdleTimeout(TIMEOUT_MILLIS);
    return client.request(options)
        .compose(request -> request.send())
        .compose(response -> response.end().map(ignored -> response.statusCode()));
  }
}
