package dev.magi.registry;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.List;

/**
 * Asks one Ollama endpoint which models it has ({@code GET /api/tags}), without blocking.
 */
public final class OllamaCatalog {

  /** A listing larger than this is refused rather than held in memory. */
  public static final int MAX_LISTING_BYTES = 8 * 1024 * 1024;

  private final HttpClient client;

  /** @param client the HTTP client to ask with; its connect timeout applies */
  public OllamaCatalog(HttpClient client) {
    this.client = client;
  }

  /**
   * Lists the models of the endpoint at {@code host:port}.
   *
   * @param timeoutMillis how long the whole exchange may take
   * @return the models, or a failed future with a message naming what went wrong
   */
  public Future<List<OllamaModel>> list(String host, int port, boolean ssl, String basePath,
      long timeoutMillis) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port)
        .setSsl(ssl).setURI(basePath + "/api/tags").setIdleTimeout(timeoutMillis);
    return client.request(options)
        .compose(request -> request.send())
        .compose(OllamaCatalog::readListing)
        .map(body -> OllamaTags.parse(body.getBytes()));
  }

  private static Future<Buffer> readListing(HttpClientResponse response) {
    if (response.statusCode() != 200) {
      return response.end().transform(ignored ->
          Future.failedFuture("GET /api/tags answered HTTP " + response.statusCode()));
    }
    Promise<Buffer> result = Promise.promise();
    Buffer body = Buffer.buffer();
    response.handler(chunk -> {
      if (body.length() + chunk.length() > MAX_LISTING_BYTES) {
        response.request().reset();
        result.tryFail("GET /api/tags listing is larger than " + MAX_LISTING_BYTES + " bytes");
      } else {
        body.appendBuffer(chunk);
      }
    });
    response.exceptionHandler(result::tryFail);
    response.endHandler(ignored -> result.tryComplete(body));
    return result.future();
  }
}
