package dev.magi.gateway;

import dev.magi.gateway.rag.FilesApi;
import dev.magi.gateway.rag.VectorStoresApi;
import dev.magi.gateway.ollama.OllamaApi;
import dev.magi.gateway.ollama.OllamaApiFace;
import dev.magi.gateway.responses.ResponsesApi;
import dev.magi.gateway.anthropic.AnthropicFace;
import dev.magi.proxy.api.ClientFace;
import dev.magi.proxy.api.Operation;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every endpoint of Magi, in one table: its method, its path, and its handlers, in the order the
 * router tries them; and the areas of the URL space, each with who may call what is in it. Nothing
 * else declares a route: {@link ApiVerticle#routes()} builds the router from this table, and its fast
 * path serves the table's {@linkplain #proxied proxied} routes.
 */
final class Routes {

  /** Who may call a route. */
  enum Access {
    /** Anyone: health and readiness, for load balancers and orchestrators. */
    OPEN,
    /** A client of the API: with an API key when {@code auth.api_keys} is set. */
    CLIENT,
    /** An operator: what {@link AdminGuard} allows. */
    ADMIN,
    /** A metrics scraper: what {@link MetricsGuard} allows (its route checks it itself). */
    METRICS,
    /** A browser loading the console's pages: what {@link AdminGuard#checkPage} allows. */
    CONSOLE
  }

  /**
   * A part of the URL space, and who may call what is in it. Web pages of other origins are checked
   * for the whole area too (CORS): a browser's preflight has no route of its own.
   *
   * @param prefix the start of every path in it, such as {@code /v1/}
   * @param access who may call its routes, and its unknown paths (which then answer 404)
   */
  record Area(String prefix, Access access) {
  }

  /**
   * One endpoint.
   *
   * @param method the HTTP method
   * @param path a vertx-web path ({@code /v1/files/:id}), or a regular expression with named groups
   *     when {@code regex}
   * @param regex whether {@code path} is a regular expression
   * @param proxied for a request the proxy forwards, what it serves: such a route, spelled exactly and
   *     not from a web page, is served by the fast path without the router
   * @param handlers in order: the body handler when the route reads a body, then the handler
   * @param access who may call it: its area's access, but for the metrics
   */
  record Route(HttpMethod method, String path, boolean regex, Operation proxied,
      List<Handler<RoutingContext>> handlers, Access access) {

    /** Copies the handlers. */
    Route {
      handlers = List.copyOf(handlers);
    }
  }

  /** The areas, by prefix; a path in none of them is open. */
  static final List<Area> AREAS = List.of(new Area("/v1/", Access.CLIENT), new Area("/ollama/", Access.CLIENT),
      new Area("/rerank", Access.CLIENT), new Area("/tokenize", Access.CLIENT),
      new Area("/detokenize", Access.CLIENT), new Area("/api/", Access.ADMIN),
      new Area(ConsolePages.PREFIX, Access.CONSOLE));

  /** The handlers {@link ApiVerticle} serves itself. */
  interface GatewayHandlers {
    void healthz(RoutingContext ctx);

    void readyz(RoutingContext ctx);

    /** A proxied request whose body {@link #proxiedBody()} has read. */
    void forward(RoutingContext ctx, Operation operation);

    /** What a proxied request's body is read with ({@code limits.body_bytes}). */
    Handler<RoutingContext> proxiedBody();

    void listModels(RoutingContext ctx);

    void getModel(RoutingContext ctx);

    /** {@code GET /metrics}: guarded by the handler itself ({@link MetricsGuard}). */
    void metrics(RoutingContext ctx);

    /** {@code POST /v1/messages}, Anthropic's Messages API, whose body {@link #proxiedBody()} has read. */
    void messages(RoutingContext ctx);

    /** {@code POST /v1/messages/count_tokens}, whose body {@link #proxiedBody()} has read. */
    void countTokens(RoutingContext ctx);

    /** {@code POST /v1/responses}, OpenAI's Responses API, whose body {@link #proxiedBody()} has read. */
    void responses(RoutingContext ctx);

    /** {@code GET /api/keys}: the named keys, their limits and their rates. */
    void keys(RoutingContext ctx);

    /** {@code GET /api/requests}: the last requests to models. */
    void recentRequests(RoutingContext ctx);

    /** {@code GET /api/requests/{id}}: one of them, with its body when bodies are captured. */
    void recentRequest(RoutingContext ctx);

    /** {@code GET /api/stats}: live figures per model, and the gateway's. */
    void stats(RoutingContext ctx);
  }

  private Routes() {
  }

  /**
   * The table: every endpoint, top to bottom.
   *
   * @param metricsPath where the metrics are served ({@code metrics.path}); empty when they are off
   * @param console the console's pages; empty when {@code console.enabled} is false
   */
  static List<Route> table(GatewayHandlers gateway, ResponsesApi responses, OllamaApi ollama, VectorStoresApi stores,
      FilesApi files, AdminApi admin, java.util.Optional<String> metricsPath,
      java.util.Optional<ConsolePages> console) {
    List<Route> table = new java.util.ArrayList<>();
    metricsPath.ifPresent(path -> table.add(new Route(HttpMethod.GET, path, false, null, List.of(gateway::metrics),
        Access.METRICS)));
    table.addAll(endpoints(gateway, responses, stores, files, admin));
    console.ifPresent(pages -> table.add(get(ConsolePages.PREFIX + "*", pages::serve)));
    table.addAll(ollama(ollama, OLLAMA_PREFIX, gateway.proxiedBody()));
    return List.copyOf(table);
  }

  private static List<Route> endpoints(GatewayHandlers gateway, ResponsesApi responses, VectorStoresApi stores,
      FilesApi files, AdminApi admin) {
    Handler<RoutingContext> storeBody = stores.body();
    return List.of(
        get("/healthz", gateway::healthz),
        get("/readyz", gateway::readyz),
        // The proxied routes come before the others: vertx-web matches a route's path before its
        // method, so every chat request would otherwise run the models regex below.
        proxied("/v1/chat/completions", Operation.CHAT, gateway),
        proxied("/v1/completions", Operation.COMPLETION, gateway),
        proxied("/v1/embeddings", Operation.EMBEDDING, gateway),
        route(HttpMethod.POST, "/v1/messages", false, gateway.proxiedBody(), gateway::messages),
        route(HttpMethod.POST, "/v1/messages/count_tokens", false, gateway.proxiedBody(), gateway::countTokens),
        route(HttpMethod.POST, "/v1/responses", false, gateway.proxiedBody(), gateway::responses),
        get("/v1/responses/:id", responses::get),
        route(HttpMethod.DELETE, "/v1/responses/:id", false, responses::delete),
        get("/v1/responses/:id/input_items", responses::inputItems),
        proxied("/v1/rerank", Operation.RERANK, gateway),
        proxied("/rerank", Operation.RERANK, gateway),
        proxied("/tokenize", Operation.TOKENIZE, gateway),
        proxied("/detokenize", Operation.DETOKENIZE, gateway),
        get("/v1/models", gateway::listModels),
        route(HttpMethod.GET, "/v1/models/(?<id>.+)", true, gateway::getModel),

        route(HttpMethod.POST, "/v1/vector_stores", false, storeBody, stores::create),
        get("/v1/vector_stores", stores::list),
        get("/v1/vector_stores/:id", stores::get),
        route(HttpMethod.DELETE, "/v1/vector_stores/:id", false, stores::delete),
        route(HttpMethod.POST, "/v1/vector_stores/:id/documents", false, storeBody, stores::documents),
        route(HttpMethod.POST, "/v1/vector_stores/:id/files", false, storeBody, stores::attach),
        get("/v1/vector_stores/:id/files", stores::attachments),
        get("/v1/vector_stores/:id/files/:file", stores::attachment),
        route(HttpMethod.DELETE, "/v1/vector_stores/:id/files/:file", false, stores::detach),
        route(HttpMethod.POST, "/v1/vector_stores/:id/search", false, storeBody, stores::search),

        route(HttpMethod.POST, "/v1/files", false, files.uploadBody(), files::upload),
        get("/v1/files", files::list),
        get("/v1/files/:id", files::get),
        get("/v1/files/:id/content", files::content),
        route(HttpMethod.DELETE, "/v1/files/:id", false, files::delete),

        route(HttpMethod.POST, "/api/config/reload", false, admin::reloadConfig),
        get("/api/models/registry", admin::registry),
        route(HttpMethod.POST, "/api/models/registry/rescan", false, admin::rescan),
        get("/api/models/servers", admin::servers),
        route(HttpMethod.POST, "/api/models/start", false, admin::startAll),
        route(HttpMethod.POST, "/api/models/stop", false, admin::stopAll),
        route(HttpMethod.POST, "/api/models/(?<name>[^/]+)/start", true, admin::start),
        route(HttpMethod.POST, "/api/models/(?<name>[^/]+)/stop", true, admin::stop),
        route(HttpMethod.GET, "/api/models/(?<name>[^/]+)/logs", true, admin::logs),
        get("/api/router", admin::routerState),
        get("/api/cluster", admin::cluster),
        get("/api/keys", gateway::keys),
        get("/api/requests", gateway::recentRequests),
        get("/api/requests/:id", gateway::recentRequest),
        get("/api/stats", gateway::stats),
        get("/api/models/profiles", admin::profiles),
        route(HttpMethod.POST, "/api/models/profile/activate", false, AdminApi.activateBody(), admin::activate));
  }

  /** Where Ollama's API is served on the main port; on its own port ({@code ollama_api.port}) it is {@code /api}. */
  static final String OLLAMA_PREFIX = "/ollama/api";

  /**
   * Ollama's own API under {@code prefix}: every route a client's (API keys, when set), whatever the
   * prefix; on Ollama's own port, nothing else is served.
   *
   * @param body what reads a request's body ({@code limits.body_bytes})
   */
  static List<Route> ollama(OllamaApi api, String prefix, Handler<RoutingContext> body) {
    List<Route> routes = new java.util.ArrayList<>(List.of(
        new Route(HttpMethod.POST, prefix + "/chat", false, null, List.of(body, api::chat), Access.CLIENT),
        new Route(HttpMethod.POST, prefix + "/generate", false, null, List.of(body, api::generate), Access.CLIENT),
        new Route(HttpMethod.POST, prefix + "/embed", false, null, List.of(body, api::embed), Access.CLIENT),
        new Route(HttpMethod.POST, prefix + "/embeddings", false, null, List.of(body, api::embeddings), Access.CLIENT),
        new Route(HttpMethod.POST, prefix + "/show", false, null, List.of(body, api::show), Access.CLIENT),
        new Route(HttpMethod.GET, prefix + "/tags", false, null, List.of(api::tags), Access.CLIENT),
        new Route(HttpMethod.GET, prefix + "/ps", false, null, List.of(api::ps), Access.CLIENT),
        new Route(HttpMethod.GET, prefix + "/version", false, null, List.of(api::version), Access.CLIENT)));
    OllamaApi.REFUSED.forEach((path, method) -> routes.add(new Route(method, prefix + path, false, null,
        List.of(api::refused), Access.CLIENT)));
    return List.copyOf(routes);
  }

  /** The proxied routes of {@code table}, by exact path: what the fast path serves. */
  static Map<String, Operation> proxied(List<Route> table) {
    Map<String, Operation> proxied = new LinkedHashMap<>();
    table.stream().filter(route -> route.proxied() != null)
        .forEach(route -> proxied.put(route.path(), route.proxied()));
    return Map.copyOf(proxied);
  }

  /** The API face of {@code path}: the shape of its errors. */
  static ClientFace face(String path) {
    return path.startsWith(ANTHROPIC_PREFIX) ? AnthropicFace.ERRORS
        : path.startsWith(OLLAMA_PREFIX) ? OllamaApiFace.ERRORS : ClientFace.OPENAI;
  }

  /** Where Anthropic's Messages API is served. */
  private static final String ANTHROPIC_PREFIX = "/v1/messages";

  /** Who may call {@code path}. */
  static Access access(String path) {
    for (Area area : AREAS) {
      if (path.startsWith(area.prefix())) {
        return area.access();
      }
    }
    return Access.OPEN;
  }

  private static Route get(String path, Handler<RoutingContext> handler) {
    return route(HttpMethod.GET, path, false, handler);
  }

  private static Route route(HttpMethod method, String path, boolean regex, Handler<RoutingContext> handler) {
    return new Route(method, path, regex, null, List.of(handler), access(path));
  }

  private static Route route(HttpMethod method, String path, boolean regex, Handler<RoutingContext> body,
      Handler<RoutingContext> handler) {
    return new Route(method, path, regex, null, List.of(body, handler), access(path));
  }

  private static Route proxied(String path, Operation operation, GatewayHandlers gateway) {
    return new Route(HttpMethod.POST, path, false, operation,
        List.of(gateway.proxiedBody(), ctx -> gateway.forward(ctx, operation)), access(path));
  }
}
