package dev.magi.gateway.ollama;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.models.ModelLifecycle;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import dev.magi.proxy.api.Operation;
import dev.magi.router.RouteTable;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The handlers of Ollama's own API, served on {@code ollama_api.port} under {@code /api/} and on the
 * main port under {@code /ollama/api/}. Chat, generate and embeddings are translated and forwarded
 * like any request ({@link Forwarder}); the model endpoints are answered from memory. The management
 * endpoints Ollama's incidents came from ({@code pull}, {@code push}, {@code create}, {@code delete},
 * {@code copy}, {@code blobs}) are 404: Magi never downloads or writes models on a client's behalf.
 */
public final class OllamaApi {

  /** The endpoints that are refused, under the API's prefix, with their methods. */
  public static final java.util.Map<String, io.vertx.core.http.HttpMethod> REFUSED = java.util.Map.of(
      "/pull", io.vertx.core.http.HttpMethod.POST, "/push", io.vertx.core.http.HttpMethod.POST,
      "/create", io.vertx.core.http.HttpMethod.POST, "/delete", io.vertx.core.http.HttpMethod.DELETE,
      "/copy", io.vertx.core.http.HttpMethod.POST, "/blobs/:digest", io.vertx.core.http.HttpMethod.POST);

  /** Forwards a translated request through the gateway's proxy, with its face. */
  @FunctionalInterface
  public interface Forwarder {
    void forward(RoutingContext ctx, Operation operation, ObjectNode openAi, OllamaApiFace face);
  }

  private final Forwarder forwarder;
  private final Function<Buffer, ObjectNode> bodies;
  private final Supplier<RouteTable> routes;
  private final ModelLifecycle lifecycle;

  /**
   * @param bodies parses a request body (within the gateway's bounds) into a JSON object
   * @param routes the route table as it stands
   */
  public OllamaApi(Forwarder forwarder, Function<Buffer, ObjectNode> bodies, Supplier<RouteTable> routes,
      ModelLifecycle lifecycle) {
    this.forwarder = forwarder;
    this.bodies = bodies;
    this.routes = routes;
    this.lifecycle = lifecycle;
  }

  public void chat(RoutingContext ctx) {
    forward(ctx, Operation.CHAT, OllamaApiRequests.chat(named(ctx)));
  }

  /**
   * An empty prompt only loads the model in Ollama, or with {@code keep_alive: 0} unloads it: answered at
   * once (Magi loads a model on its first request, and unloads it by its keep-alive).
   */
  public void generate(RoutingContext ctx) {
    ObjectNode body = named(ctx);
    if (OllamaApiRequests.onlyLoads(body)) {
      OllamaApiRequests.generate(body);
      java.util.Optional<java.time.Duration> keep = OllamaApiRequests.keepAlive(body);
      ObjectNode loaded = Json.object().put("model", body.get("model").asText())
          .put("created_at", java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).toString())
          .put("response", "").put("done", true)
          .put("done_reason", keep.map(java.time.Duration::isZero).orElse(false) ? "unload" : "load");
      json(ctx, loaded);
      return;
    }
    forward(ctx, Operation.CHAT, OllamaApiRequests.generate(body));
  }

  public void embed(RoutingContext ctx) {
    forward(ctx, Operation.EMBEDDING, OllamaApiRequests.embed(named(ctx), false));
  }

  public void embeddings(RoutingContext ctx) {
    forward(ctx, Operation.EMBEDDING, OllamaApiRequests.embed(named(ctx), true));
  }

  public void tags(RoutingContext ctx) {
    json(ctx, OllamaApiModels.tags(routes.get(), lifecycle));
  }

  public void ps(RoutingContext ctx) {
    json(ctx, OllamaApiModels.running(routes.get(), lifecycle));
  }

  public void show(RoutingContext ctx) {
    json(ctx, OllamaApiModels.show(named(ctx), routes.get(), lifecycle));
  }

  public void version(RoutingContext ctx) {
    json(ctx, OllamaApiModels.version());
  }

  /** The management endpoints. */
  public void refused(RoutingContext ctx) {
    throw new ApiException(404, "invalid_request_error", null, "unsupported_endpoint", ctx.request().path()
        + " is not served: Magi never downloads, writes or deletes models on a client's behalf");
  }

  /** {@code GET /} on the Ollama port: what Ollama answers, which some tools check before anything else. */
  public void root(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end("Ollama is running");
  }

  private void forward(RoutingContext ctx, Operation operation, OllamaApiRequests.Translated translated) {
    forwarder.forward(ctx, operation, translated.openAi(), new OllamaApiFace(translated));
  }

  /**
   * The body, with its {@code model} as Magi knows it: Ollama's clients add {@code :latest} to a name
   * that has no tag, which Magi's own names (the GGUF files') do not have.
   */
  private ObjectNode named(RoutingContext ctx) {
    ObjectNode body = bodies.apply(ctx.body().buffer());
    named(body);
    keepAlive(body);
    return body;
  }

  /** The request's {@code keep_alive}, handed to the model's lifecycle: its idle time until it unloads. */
  private java.util.Optional<java.time.Duration> keepAlive(ObjectNode body) {
    java.util.Optional<java.time.Duration> keep = OllamaApiRequests.keepAlive(body);
    keep.ifPresent(idle -> lifecycle.keepAlive(body.path("model").asText(""), idle));
    return keep;
  }

  private void named(ObjectNode body) {
    String model = body.path("model").asText(body.path("name").asText(""));
    if (model.endsWith(":latest") && routes.get().resolve(model).isEmpty() && lifecycle.view(model).isEmpty()) {
      String bare = model.substring(0, model.length() - ":latest".length());
      if (routes.get().resolve(bare).isPresent() || lifecycle.view(bare).isPresent()) {
        body.put("model", bare);
      }
    }
  }

  private static void json(RoutingContext ctx, ObjectNode body) {
    ctx.response().putHeader("Content-Type", "application/json; charset=utf-8").end(Json.buffer(body));
  }
}
