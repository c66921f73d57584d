package dev.magi.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What every fake model server shares: listening on {@code 127.0.0.1}, recording each request with its
 * whole body, and answering it through {@link #route}.
 */
public abstract class FakeServer {

  /** The Vert.x instance the fake runs on. */
  protected final Vertx vertx;
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private HttpServer server;

  /** @param vertx the instance to run on */
  protected FakeServer(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Starts listening on {@code port} (0 = any free port). */
  protected final Future<Void> listen(int port) {
    return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
        .requestHandler(this::receive)
        .listen()
        .map(listening -> {
          server = listening;
          return null;
        });
  }

  /**
   * Answers one request, after its whole body was read and recorded.
   *
   * @param body the body as text, empty when none
   * @param json the body parsed as JSON, or null when it is not JSON
   */
  protected abstract void route(HttpServerRequest request, String body, JsonNode json);

  private void receive(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      String text = body.toString();
      JsonNode json = FakeJson.parseOrNull(text);
      requests.add(new RecordedRequest(request.method().name(), request.uri(),
          MultiMap.caseInsensitiveMultiMap().addAll(request.headers()), text, json));
      route(request, text, json);
    });
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** Stops listening and closes open connections. */
  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  /** Every request received so far, oldest first. */
  public List<RecordedRequest> requests() {
    return List.copyOf(requests);
  }

  /** The most recent request on {@code path} (path and query), or null when there was none. */
  public RecordedRequest lastRequest(String path) {
    List<RecordedRequest> all = new ArrayList<>(requests);
    Collections.reverse(all);
    return all.stream().filter(r -> r.path().equals(path)).findFirst().orElse(null);
  }
}
