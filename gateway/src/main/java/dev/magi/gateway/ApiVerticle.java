package dev.magi.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.gateway.api.DomainErrors;
import dev.magi.gateway.api.RequestParser;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.gateway.rag.ChatRetrieval;
import dev.magi.gateway.rag.Retrieval;
import dev.magi.models.ModelLifecycle;
import dev.magi.gateway.anthropic.AnthropicFace;
import dev.magi.gateway.anthropic.AnthropicRequests;
import dev.magi.gateway.ollama.OllamaApi;
import dev.magi.gateway.ollama.OllamaApiFace;
import dev.magi.proxy.ErrorResponses;
import dev.magi.proxy.api.ClientFace;
import dev.magi.proxy.Proxy;
import dev.magi.proxy.ProxySettings;
import dev.magi.proxy.UpstreamClient;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.Json;
import dev.magi.proxy.api.Operation;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendPool;
import dev.magi.router.RouteTable;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One HTTP server instance on one event loop, with its own upstream client. Several instances share
 * the listening port; everything they share ({@link BackendDirectory}, configuration) is thread-safe.
 *
 * <p>{@link #routes()} builds the router from {@link Routes}, the one table of every endpoint.
 */
final class ApiVerticle extends AbstractVerticle implements Routes.GatewayHandlers {

  private static final Logger LOG = Logger.getLogger(ApiVerticle.class.getName());
  private static final String TAG = "magi.tag";
  /** The routing context's face for errors, when its router has one for every path. */
  private static final String FACE = "magi.face";

  // Replaced, on this verticle's event loop, when the configuration is reloaded (see reconfigure).
  private MagiConfig config;
  private RequestParser parser;
  private ApiKeys apiKeys;
  private BodyHandler bodies;
  /** The proxied routes of {@link Routes}, by exact path: what {@link #dispatch} serves without the router. */
  private Map<String, Operation> fastPath = Map.of();
  private java.util.List<Routes.Route> table = java.util.List.of();
  private final int port;
  private final BackendDirectory directory;
  private final AdminApi admin;
  private final Retrieval retrieval;
  private final AccessLog.Sampler accessLog;
  /** Where requests to models are measured; null when metrics are off. */
  private final dev.magi.gateway.metrics.RequestMeters meters;
  private final IdleCollector.Arrivals arrivals;
  private final Shared shared;
  private Proxy proxy;
  private UpstreamClient upstream;
  private HttpServer server;
  /** The server of Ollama's own port; null when {@code ollama_api.port} is 0. */
  private HttpServer ollamaServer;
  private ClientConnections connections;

  /**
   * What every event loop's verticle shares.
   *
   * @param accessLog the access log
   * @param arrivals requests begun, for the idle collector
   * @param connections client connections open, against {@code server.max_connections}
   * @param draining set once the gateway has begun to stop: {@code /readyz} answers 503
   * @param origins which web pages may call the API from a browser
   * @param metrics the meters and {@code /metrics}; null when {@code metrics.enabled} is false
   * @param metricsGuard who may read {@code /metrics}
   * @param tracer where requests' spans go; null when tracing is off
   * @param responses the Responses API's stored responses
   * @param limits the named keys' models and rates
   * @param views the last requests to models and the live figures, for {@code GET /api/requests} and
   *     {@code GET /api/stats}
   * @param console the console's pages; null when {@code console.enabled} is false
   */
  record Shared(AccessLog accessLog, IdleCollector.Arrivals arrivals, ClientConnections.Count connections,
      java.util.concurrent.atomic.AtomicBoolean draining, WebOrigins origins,
      dev.magi.gateway.metrics.GatewayMetrics metrics, MetricsGuard metricsGuard,
      dev.magi.gateway.tracing.RequestTracer tracer, dev.magi.gateway.responses.ResponsesApi responses,
      KeyLimits limits, RequestViews views, ConsolePages console) {
  }

  /** @param port the port to listen on; -1 shares one random port among all instances */
  ApiVerticle(MagiConfig config, int port, BackendDirectory directory, RequestParser parser, AdminApi admin,
      Retrieval retrieval, Shared shared) {
    this.config = config;
    this.shared = shared;
    this.arrivals = shared.arrivals();
    this.accessLog = shared.accessLog().sampler();
    this.meters = shared.metrics() == null ? null : shared.metrics().requests();
    this.admin = admin;
    this.retrieval = retrieval;
    this.port = port;
    this.directory = directory;
    this.parser = parser;
    this.apiKeys = new ApiKeys(config.apiKeys(), config.clientKeys(), config.cluster().secret());
  }

  /**
   * Takes a reloaded configuration's API keys, limits and timeouts for the requests that begin from
   * now on; requests and streams in flight keep what they began with.
   *
   * @param parser the request parser of the new limits, shared by every event loop
   * @return completes once this event loop uses them
   */
  Future<Void> reconfigure(MagiConfig next, RequestParser parser) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      this.config = next;
      this.parser = parser;
      this.apiKeys = new ApiKeys(next.apiKeys(), next.clientKeys(), next.cluster().secret());
      if (bodies != null) {
        bodies.setBodyLimit(next.limits().bodyBytes());
      }
      if (proxy != null) {
        proxy.settings(proxySettings(next));
      }
      done.complete();
    });
    return done.future();
  }

  /** What the proxy keeps to, from the configuration's timeouts and limits. */
  static ProxySettings proxySettings(MagiConfig config) {
    MagiConfig.Timeouts timeouts = config.timeouts();
    return new ProxySettings(timeouts.firstToken(), timeouts.betweenChunks(), timeouts.nonStreaming(),
        timeouts.commitDelay(), timeouts.pingInterval(), config.limits().upstreamResponseBytes());
  }

  /** llama-server closes idle keep-alive connections after 5 s; ours are given up first. */
  static final Duration UPSTREAM_KEEP_ALIVE = Duration.ofSeconds(3);

  @Override
  public void start(Promise<Void> started) {
    // No limit on connections per backend: admission by slots decides how many requests a backend
    // gets, and a second, smaller limit would make a request wait behind whole streams.
    upstream = new UpstreamClient(vertx, config.timeouts().connect(), UPSTREAM_KEEP_ALIVE);
    ModelLifecycle lifecycle = admin.models().lifecycle();
    proxy = new Proxy(vertx, upstream, directory, proxySettings(config),
        new Proxy.Loader() {
          @Override
          public void used(String model) {
            lifecycle.used(model);
          }

          @Override
          public java.util.Optional<io.vertx.core.Future<BackendPool>> load(String model) {
            // The proxy answers with an ApiException: the models room's reasons become HTTP here.
            java.util.function.Supplier<java.util.Optional<Future<BackendPool>>> here = () -> lifecycle.load(model)
                .map(loading -> loading.recover(failure -> Future.failedFuture(
                    failure instanceof dev.magi.models.ModelUnavailableException unavailable
                        ? DomainErrors.of(unavailable) : failure)));
            ClusterNode node = admin.clusterNode();
            // In a cluster, a cold model is loaded once: here, or on the node that took its lock.
            return node == null ? here.get() : node.placement().load(model, here);
          }

          @Override
          public java.util.Optional<io.vertx.core.Future<BackendPool>> recover(String model,
              java.util.Collection<dev.magi.router.Backend> exclude) {
            return lifecycle.recover(model, exclude);
          }
        });
    HttpServerOptions serverOptions = new HttpServerOptions()
        .setHost(config.server().host())
        .setPort(port)
        .setTcpNoDelay(true)
        .setCompressionSupported(false)
        // HTTP/1.1 only. With cleartext HTTP/2 on, Vert.x holds each new connection until its first
        // bytes tell the two apart, and reports it to no handler before that: a client that connects
        // and sends nothing would escape the header deadline and the cap on connections.
        .setHttp2ClearTextEnabled(false)
        // No WebSockets are served; without these Vert.x adds an extension handler to every connection.
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false)
        // Every response is written from its connection's event loop. Strict mode lets Vert.x write
        // directly instead of through a multi-producer queue, whose first chunk (about 4.6 KB) every
        // connection would otherwise hold for its whole life (vertx-core 5.0 VertxConnection).
        .setStrictThreadMode(true);
    Router router = routes();
    MagiConfig.Server settings = config.server();
    connections = new ClientConnections(vertx, new ClientConnections.Limits(settings.headerTimeout(),
        settings.bodyTimeout(), settings.idleTimeout(), settings.maxConnections()), shared.connections(), serverOptions);
    Future<Void> main = vertx.createHttpServer(serverOptions)
        .connectionHandler(connections::accepted)
        .invalidRequestHandler(ApiVerticle::invalidRequest)
        .requestHandler(request -> dispatch(router, request))
        .listen()
        .map(listening -> {
          server = listening;
          return null;
        });
    int ollamaPort = config.ollamaApi().port();
    if (ollamaPort == 0) {
      main.onComplete(started);
      return;
    }
    // Ollama's port: the same connection limits and deadlines, its own routes.
    Router ollama = ollamaRoutes();
    main.compose(ignored -> vertx.createHttpServer(new HttpServerOptions(serverOptions).setPort(ollamaPort))
        .connectionHandler(connections::accepted)
        .invalidRequestHandler(ApiVerticle::invalidRequest)
        .requestHandler(request -> {
          connections.began(request);
          ollama.handle(request);
        })
        .listen())
        .<Void>map(listening -> {
          ollamaServer = listening;
          return null;
        })
        .onComplete(started);
  }

  @Override
  public void stop() {
    if (connections != null) {
      connections.stop();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  /**
   * Stops taking connections and lets the requests in flight run to their end; at {@code deadline}
   * (or when {@code hurry} completes, if sooner) what is still open is cut: a stream gets one
   * {@code server_shutting_down} error event and a clean end, a request not answered yet a 503. Runs on
   * this verticle's event loop; any thread may call it.
   *
   * @return when every connection of this verticle is closed, with what was drained and cut
   */
  Future<Gateway.Drained> drain(Duration deadline, Future<Void> hurry) {
    Promise<Gateway.Drained> result = Promise.promise();
    context.runOnContext(begin -> {
      int inFlight = connections.inFlight();
      int[] cut = {0};
      boolean[] done = {false};
      Handler<Void> cutNow = ignored -> {
        if (done[0]) {
          return;
        }
        done[0] = true;
        ApiException shuttingDown = new ApiException(503, "server_error", null, "server_shutting_down",
            "The gateway is shutting down; retry the request.", Map.of("Retry-After", "1"));
        cut[0] = proxy.cut(shuttingDown) + connections.cutInFlight(shuttingDown);
      };
      long timer = vertx.setTimer(Math.max(1, deadline.toMillis()), id -> cutNow.handle(null));
      hurry.onComplete(hurried -> context.runOnContext(cutNow));
      // The grace Vert.x allows beyond the deadline covers writing what the cut sends.
      Future<Void> ollamaClosed = ollamaServer == null ? Future.succeededFuture()
          : ollamaServer.shutdown(deadline.toMillis() + 2_000, TimeUnit.MILLISECONDS);
      Future.join(server.shutdown(deadline.toMillis() + 2_000, TimeUnit.MILLISECONDS), ollamaClosed)
          .onComplete(closed -> {
            vertx.cancelTimer(timer);
            done[0] = true;
            // The last connection may close inside the cut itself: count once the cut has returned.
            context.runOnContext(counted -> result.complete(new Gateway.Drained(inFlight, cut[0])));
          });
    });
    return result.future();
  }

  /** The port actually listened on. */
  int actualPort() {
    return server.actualPort();
  }

  /**
   * The server's request handler. A POST to one of the proxied paths, spelled exactly, is served here
   * without the router: its routing context, route walk and body handler were about 5% of the CPU a
   * non-streaming request costs (async-profiler, nonstream-64). Everything else, other spellings of
   * those paths included, goes to the router, whose routes for them serve a request the same way.
   */
  private void dispatch(Router router, HttpServerRequest request) {
    connections.began(request);
    String transferEncoding = request.getHeader(HttpHeaders.TRANSFER_ENCODING);
    if (transferEncoding != null && !chunkedOnly(request, transferEncoding)) {
      refuseTransferEncoding(request);
      return;
    }
    // A browser's request from a web page goes through the router, whose first handler applies CORS.
    Operation operation = request.method() == HttpMethod.POST && !request.headers().contains(ORIGIN)
        ? fastPath.get(request.path()) : null;
    if (operation == null) {
      router.handle(request);
      return;
    }
    RequestRecord tag = tag(request, request.path());
    Handler<Throwable> onFailure = failure -> {
      ApiException error = asApiError(failure, request, tag);
      tag.answeredWith(error);
      ErrorResponses.send(request.response(), error);
    };
    try {
      guard(Routes.access(request.path()), request, tag);
      BoundedBody.read(request, config.limits().bodyBytes(),
          body -> forward(request, operation, body, tag, onFailure), onFailure);
    } catch (RuntimeException e) {
      onFailure.handle(e);
    }
  }

  /** The router of every endpoint in {@link Routes}; {@link #dispatch} takes the usual proxied requests before it. */
  Router routes() {
    // Sized from Content-Length: by default every body starts in a 1 KB buffer, which a held stream
    // would keep for its whole life.
    bodies = BodyHandler.create(false).setBodyLimit(config.limits().bodyBytes()).setPreallocateBodyBuffer(true);
    table = Routes.table(this, shared.responses(), ollamaApi(), retrieval.api(), retrieval.files(), admin,
        shared.metrics() == null ? java.util.Optional.empty() : java.util.Optional.of(config.metrics().path()),
        java.util.Optional.ofNullable(shared.console()));
    fastPath = Routes.proxied(table);
    return router(table, Routes.AREAS, null);
  }

  /**
   * The router of Ollama's own port ({@code ollama_api.port}): Ollama's API under {@code /api/}, every
   * route a client's, errors in Ollama's shape; and {@code GET /}, which Ollama's clients probe.
   */
  Router ollamaRoutes() {
    OllamaApi api = ollamaApi();
    List<Routes.Route> ollama = new java.util.ArrayList<>(Routes.ollama(api, "/api", bodies));
    ollama.add(new Routes.Route(HttpMethod.GET, "/", false, null, List.of(api::root), Routes.Access.OPEN));
    ollama.add(new Routes.Route(HttpMethod.HEAD, "/", false, null, List.of(api::root), Routes.Access.OPEN));
    return router(ollama, List.of(new Routes.Area("/api/", Routes.Access.CLIENT)), OllamaApiFace.ERRORS);
  }

  private OllamaApi ollamaApi() {
    return new OllamaApi(this::forwardTranslated, raw -> parser.parseObject(raw), directory::routes,
        admin.models().lifecycle());
  }

  /**
   * A router of {@code routes}, each area's requests checked by its guard (and for other origins), and
   * errors answered in the shape of {@code face}, or of each path's face when null.
   */
  private Router router(List<Routes.Route> routes, List<Routes.Area> areas, ClientFace face) {
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      String path = ctx.request().path();
      ctx.put(TAG, tag(ctx.request(), fastPath.containsKey(path) ? path : null));
      if (face != null) {
        ctx.put(FACE, face);
      }
      ctx.next();
    });
    Handler<RoutingContext> crossOrigin = crossOrigin(shared.origins());
    for (Routes.Area area : areas) {
      // Before the guard: a browser's preflight carries no credentials.
      router.route(area.prefix() + "*").handler(crossOrigin);
      router.route(area.prefix() + "*").handler(ctx -> {
        guard(area.access(), ctx.request(), ctx.get(TAG));
        ctx.next();
      });
    }
    for (Routes.Route route : routes) {
      io.vertx.ext.web.Route added = route.regex() ? router.routeWithRegex(route.method(), route.path())
          : router.route(route.method(), route.path());
      route.handlers().forEach(added::handler);
    }
    router.route().failureHandler(this::failed);
    router.errorHandler(404, ctx -> answered(ctx, new ApiException(404,
        "invalid_request_error", null, "unknown_url", "Unknown request URL: " + ctx.request().method() + " "
        + ctx.request().path() + ".")));
    router.errorHandler(405, ctx -> answered(ctx, new ApiException(405,
        "invalid_request_error", null, "method_not_allowed", "Method " + ctx.request().method()
        + " is not allowed on " + ctx.request().path() + ".")));
    return router;
  }

  /**
   * Requests from web pages of other origins: refused (403) unless their origin is listed in
   * {@code server.cors_origins}; for listed ones, vertx-web's CORS handler answers preflights and adds
   * the response headers. Requests without {@code Origin}, or from Magi's own, pass untouched.
   */
  private static Handler<RoutingContext> crossOrigin(WebOrigins origins) {
    io.vertx.ext.web.handler.CorsHandler cors = null;
    if (origins.corsEnabled()) {
      cors = io.vertx.ext.web.handler.CorsHandler.create()
          .allowedMethods(java.util.Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS))
          .exposedHeaders(java.util.Set.of("x-request-id", "retry-after", "retry-after-ms", "x-magi-retrieval",
              "x-magi-retrieval-count", "x-magi-rerank"))
          .maxAgeSeconds(600);
      if (!origins.listed().contains("*")) {
        cors.addOrigins(origins.listed());
      }
    }
    io.vertx.ext.web.handler.CorsHandler corsHandler = cors;
    return ctx -> {
      HttpServerRequest request = ctx.request();
      if (!WebOrigins.crossOrigin(request)) {
        ctx.next();
        return;
      }
      String origin = request.getHeader("Origin");
      if (corsHandler == null || !origins.listed(origin)) {
        throw WebOrigins.forbidden(origin);
      }
      corsHandler.handle(ctx);
    };
  }

  /**
   * A request that could not be decoded (malformed request line or headers, control bytes, both
   * {@code Transfer-Encoding} and {@code Content-Length}, headers or URI too long): an OpenAI-shaped 400,
   * 414 or 431, then the connection closes, since where the next request would begin is unknown.
   */
  private static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ApiException error;
    if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
      error = new ApiException(431, "invalid_request_error", null, "request_headers_too_large",
          "The request's headers are larger than the gateway accepts (" + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE
          + " bytes).");
    } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
      error = new ApiException(414, "invalid_request_error", null, "uri_too_long",
          "The request line is longer than the gateway accepts (" + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH
          + " bytes).");
    } else {
      error = new ApiException(400, "invalid_request_error", null, "malformed_request",
          "The request is not valid HTTP/1.1 (" + malformation(cause) + ").");
    }
    ErrorResponses.sendAndClose(request, error);
  }

  /**
   * Whether a request's {@code Transfer-Encoding} is exactly {@code chunked} on HTTP/1.1 with no
   * {@code Content-Length} (the strict decoder refuses that pair on HTTP/1.1; HTTP/1.0 has no transfer
   * codings at all). Netty reads any other value as "no body" and leaves the bytes that follow to be
   * read as the next request.
   */
  private static boolean chunkedOnly(HttpServerRequest request, String transferEncoding) {
    return request.version() == io.vertx.core.http.HttpVersion.HTTP_1_1
        && transferEncoding.trim().equalsIgnoreCase("chunked")
        && !request.headers().contains(HttpHeaders.CONTENT_LENGTH);
  }

  /** 501 for a transfer coding Magi does not read (RFC 9112 §6.1), 400 for one on HTTP/1.0; then the connection closes. */
  private static void refuseTransferEncoding(HttpServerRequest request) {
    boolean unknown = request.version() == io.vertx.core.http.HttpVersion.HTTP_1_1
        && !request.headers().contains(HttpHeaders.CONTENT_LENGTH);
    ApiException error = unknown
        ? new ApiException(501, "invalid_request_error", null, "unsupported_transfer_encoding",
            "Only 'Transfer-Encoding: chunked' is understood.")
        : new ApiException(400, "invalid_request_error", null, "malformed_request",
            "The request is not valid HTTP/1.1 (Transfer-Encoding with Content-Length, or on HTTP/1.0).");
    ErrorResponses.sendAndClose(request, error);
  }

  /** What was wrong with an undecodable request, in words that name no class. */
  private static String malformation(Throwable cause) {
    String message = cause == null ? null : cause.getMessage();
    if (message == null) {
      return "malformed request line or headers";
    }
    if (message.contains("Transfer-Encoding and Content-Length")) {
      return "Transfer-Encoding and Content-Length are both present";
    }
    if (message.contains("Multiple Content-Length")) {
      return "more than one Content-Length";
    }
    if (message.toLowerCase(java.util.Locale.ROOT).contains("content-length")) {
      return "invalid Content-Length";
    }
    return "malformed request line or headers";
  }

  // Header names made once: Vert.x hashes a String name on every lookup, an optimized one keeps its hash.
  private static final CharSequence REQUEST_ID = HttpHeaders.createOptimized("x-request-id");
  private static final CharSequence ORIGIN = HttpHeaders.createOptimized("Origin");
  private static final CharSequence TRACEPARENT = HttpHeaders.createOptimized("traceparent");
  private static final CharSequence TRACESTATE = HttpHeaders.createOptimized("tracestate");

  /**
   * Counts the request as begun (the idle collector watches that), and gives it an id for logs,
   * {@code x-request-id} and the backend: the client's own when it is a sane token
   * ({@link #isSaneRequestId}), else a new one (unique enough, and no secret, so no SecureRandom here).
   *
   * @param endpoint the proxied route the request is for, null when it is for none
   * @return what follows the request to its end
   */
  private RequestRecord tag(HttpServerRequest request, String endpoint) {
    arrivals.begin();
    String id = request.getHeader(REQUEST_ID);
    if (id == null || !isSaneRequestId(id)) {
      java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
      id = "req_" + HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextInt());
    }
    request.response().putHeader(REQUEST_ID, id);
    return RequestRecord.begin(request, id, accessLog, meters, endpoint, shared.views());
  }

  /** Longest request id taken from a client. */
  static final int MAX_REQUEST_ID_LENGTH = 128;

  /**
   * Whether a client's {@code X-Request-Id} may be used as the request's id: 1 to 128 letters, digits
   * and {@code - _ . : / + = @}, nothing that could break a log line or a header.
   */
  static boolean isSaneRequestId(String id) {
    if (id.isEmpty() || id.length() > MAX_REQUEST_ID_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean sane = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
          || c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=' || c == '@';
      if (!sane) {
        return false;
      }
    }
    return true;
  }

  /** Lets {@code request} through when its caller has {@code access}; throws the 401 or 403 otherwise. */
  private void guard(Routes.Access access, HttpServerRequest request, RequestRecord tag) {
    switch (access) {
      case CLIENT -> tag.clientKey(apiKeys.check(request), shared.limits());
      case ADMIN -> admin.guard().check(request);
      case METRICS -> shared.metricsGuard().check(request);
      case CONSOLE -> admin.guard().checkPage(request);
      case OPEN -> {
      }
    }
  }

  /** The routes this verticle serves, once it has started. */
  java.util.List<Routes.Route> table() {
    return table;
  }

  @Override
  public Handler<RoutingContext> proxiedBody() {
    return bodies;
  }

  /** A proxied request that came through the router. */
  @Override
  public void forward(RoutingContext ctx, Operation operation) {
    forward(ctx.request(), operation, ctx.body().buffer(), bodyRead(ctx), ctx::fail);
  }

  /**
   * The record of a request to a model that came through the router, now that its body has been
   * read: measured under its route's path. The body handler's callbacks, and through them the routing
   * context, need not live as long as the request does (for a stream, minutes).
   */
  private RequestRecord bodyRead(RoutingContext ctx) {
    BoundedBody.dropReader(ctx.request());
    RequestRecord tag = ctx.get(TAG);
    tag.endpoint(ctx.currentRoute().getPath());
    return tag;
  }

  /**
   * Checks the body of a proxied request and hands it to the proxy (through retrieval first when the
   * chat asks for it). Throws an {@link ApiException} when the request is wrong; later failures go to
   * {@code onFailure}.
   */
  private void forward(HttpServerRequest http, Operation operation, Buffer body, RequestRecord tag,
      Handler<Throwable> onFailure) {
    tag.captureBody(body);
    forward(http, parser.parse(operation, body), tag, onFailure, ClientFace.OPENAI);
  }

  /** {@code POST /v1/messages}: Anthropic's Messages API, translated to a chat and forwarded like one. */
  @Override
  public void messages(RoutingContext ctx) {
    AnthropicRequests.Translated translated = AnthropicRequests.toChat(parser.parseObject(ctx.body().buffer()));
    forwardTranslated(ctx, Operation.CHAT, translated.chat(), AnthropicFace.of(translated));
  }

  /**
   * Forwards a request a face translated into OpenAI's terms: checked as any such request is (the
   * same bounds), measured under its route's path, answered through {@code face}.
   */
  private void forwardTranslated(RoutingContext ctx, Operation operation, ObjectNode openAi, ClientFace face) {
    forwardTranslated(ctx, operation, Json.buffer(openAi), face);
  }

  /** As {@link #forwardTranslated(RoutingContext, Operation, ObjectNode, ClientFace)}, the request's bytes made already. */
  private void forwardTranslated(RoutingContext ctx, Operation operation, Buffer openAi, ClientFace face) {
    RequestRecord tag = bodyRead(ctx);
    tag.captureBody(ctx.body().buffer());
    forward(ctx.request(), parser.parse(operation, openAi), tag, ctx::fail, face);
  }

  /**
   * {@code POST /v1/responses}: the conversation so far ({@code previous_response_id}) and the input,
   * translated to a chat and forwarded like one (after its file_search tool, when it has one, has run);
   * the response is kept unless {@code store} is false.
   */
  @Override
  public void responses(RoutingContext ctx) {
    ObjectNode body = parser.parseObject(ctx.body().buffer());
    shared.responses().previous(body).onSuccess(previous -> {
      if (ctx.response().closed()) {
        return;
      }
      try {
        dev.magi.gateway.responses.ResponsesRequests.Translated translated =
            dev.magi.gateway.responses.ResponsesRequests.toChat(body, previous);
        // A conversation continued must fit what the client could have sent whole: a chain of
        // responses cannot grow what is kept, and sent to the backend, without bound.
        Buffer chat = Json.buffer(translated.chat());
        if (chat.length() > config.limits().bodyBytes()) {
          throw new ApiException(413, "invalid_request_error", "previous_response_id", "request_too_large",
              "The conversation (the previous responses' and this input) is " + chat.length() + " bytes, more than"
              + " the " + config.limits().bodyBytes() + " a request may be; start a new one.");
        }
        if (translated.fileSearch() == null) {
          forwardTranslated(ctx, Operation.CHAT, chat,
              new dev.magi.gateway.responses.ResponsesFace(translated, null, shared.responses().store()));
          return;
        }
        // The file_search tool runs here, before the model: its passages join the chat.
        dev.magi.gateway.responses.FileSearchRunner.run(retrieval.service(), translated).onComplete(searched -> {
          if (ctx.response().closed()) {
            return;
          }
          if (searched.failed()) {
            ctx.fail(searched.cause());
            return;
          }
          forwardTranslated(ctx, Operation.CHAT, Json.buffer(translated.chat()),
              new dev.magi.gateway.responses.ResponsesFace(translated, searched.result(), shared.responses().store()));
        });
      } catch (ApiException e) {
        ctx.fail(e);
      }
    }).onFailure(ctx::fail);
  }

  /**
   * {@code POST /v1/messages/count_tokens}: checked as a Messages request, then counted by the model's
   * llama-server, which serves it for its own Messages route.
   */
  @Override
  public void countTokens(RoutingContext ctx) {
    RequestRecord tag = bodyRead(ctx);
    Buffer raw = ctx.body().buffer();
    ObjectNode body = parser.parseObject(raw);
    String model = AnthropicRequests.checkCountTokens(body);
    forward(ctx.request(), new ApiRequest(Operation.COUNT_TOKENS, model, false, false, false,
        java.util.OptionalInt.empty(), body, raw), tag, ctx::fail, AnthropicFace.ERRORS);
  }

  /**
   * Hands a checked request to the proxy (through retrieval first when the chat asks for it), its
   * answer and errors shaped by {@code face}. Later failures go to {@code onFailure}.
   */
  private void forward(HttpServerRequest http, ApiRequest request, RequestRecord tag, Handler<Throwable> onFailure,
      ClientFace face) {
    tag.bodyRead(request.model());
    shared.limits().admit(tag.clientKey(), request.model());
    HttpServerResponse response = http.response();
    dev.magi.proxy.TraceContext trace = trace(http, tag);
    // Forwarded by another node of the cluster (which proved it with the secret): served here, never
    // forwarded again.
    boolean localOnly = http.getHeader(Proxy.FORWARDED) != null && apiKeys.fromClusterPeer(http);
    if (request.operation() == Operation.CHAT && ChatRetrieval.wanted(request)) {
      retrieval.chat().apply(request, response).onComplete(prepared -> {
        if (response.closed()) {
          return;
        }
        if (prepared.failed()) {
          onFailure.handle(prepared.cause());
          return;
        }
        try {
          proxy.forward(prepared.result(), response, tag.requestId(), trace, tag, localOnly, face);
        } catch (ApiException e) {
          onFailure.handle(e);
        }
      });
      return;
    }
    proxy.forward(request, response, tag.requestId(), trace, tag, localOnly, face);
  }

  /**
   * The trace context carried to the backend: the client's ({@code traceparent}, when well-formed),
   * or, when tracing is on, the request's own span's, which starts here.
   */
  private dev.magi.proxy.TraceContext trace(HttpServerRequest http, RequestRecord tag) {
    String traceparent = http.getHeader(TRACEPARENT);
    dev.magi.proxy.TraceContext client = traceparent == null ? null
        : dev.magi.proxy.TraceContext.parse(traceparent, http.getHeader(TRACESTATE));
    if (shared.tracer() == null) {
      return client;
    }
    dev.magi.gateway.tracing.RequestSpans spans = shared.tracer().begin(client, http.method().name() + " "
        + tag.endpoint(), tag.startNanos());
    tag.spans(spans);
    return spans.carried();
  }

  @Override
  public void listModels(RoutingContext ctx) {
    json(ctx, 200, ModelListing.list(directory.routes(), admin.models().lifecycle()));
  }

  @Override
  public void getModel(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    json(ctx, 200, ModelListing.one(id, directory.routes(), admin.models().lifecycle())
        .orElseThrow(() -> ApiException.modelNotFound(id)));
  }

  /** The Prometheus text, formatted on a worker: a scrape walks every series. */
  @Override
  public void metrics(RoutingContext ctx) {
    guard(Routes.Access.METRICS, ctx.request(), ctx.get(TAG));
    shared.metrics().scrape(vertx).onComplete(scraped -> {
      if (scraped.failed()) {
        ctx.fail(scraped.cause());
        return;
      }
      ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(scraped.result());
    });
  }

  /**
   * {@code GET /api/requests}: the last requests to models, newest first; {@code model},
   * {@code status} ({@code 200}, {@code 5xx}, {@code cut}) and {@code limit} (1 to 1,000, default 100)
   * narrow them.
   */
  @Override
  public void recentRequests(RoutingContext ctx) {
    int max = dev.magi.gateway.api.QueryParams.integer(ctx.request(), "limit", 100, 1, 1000);
    json(ctx, 200, shared.views().recent().list(ctx.request().getParam("model"), ctx.request().getParam("status"), max));
  }

  /** {@code GET /api/requests/{id}}: one of the last requests, with its body when bodies are captured. */
  @Override
  public void recentRequest(RoutingContext ctx) {
    java.util.List<String> secrets = new java.util.ArrayList<>(config.apiKeys());
    config.adminToken().ifPresent(secrets::add);
    shared.views().recent().one(ctx.pathParam("id"), secrets).ifPresentOrElse(found -> json(ctx, 200, found),
        () -> ctx.fail(new ApiException(404, "invalid_request_error", "id", "request_not_found",
            "No request of that id is kept (console.recent_requests keeps the last ones).")));
  }

  /**
   * {@code GET /api/stats}: each model's figures over the last {@code window} seconds (10 to 300,
   * default 60) with its series over the last five minutes, and the gateway's own.
   */
  @Override
  public void stats(RoutingContext ctx) {
    int window = dev.magi.gateway.api.QueryParams.integer(ctx.request(), "window", 60, 10, 300);
    ObjectNode body = shared.views().stats().snapshot(window);
    Runtime runtime = Runtime.getRuntime();
    ((ObjectNode) body.get("gateway")).put("connections", shared.connections().open())
        .put("heap_used_bytes", runtime.totalMemory() - runtime.freeMemory()).put("heap_max_bytes", runtime.maxMemory())
        .put("uptime_seconds", java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1000);
    json(ctx, 200, body);
  }

  /** {@code GET /api/keys}: the named keys, their limits and their rates now. */
  @Override
  public void keys(RoutingContext ctx) {
    json(ctx, 200, shared.limits().describe());
  }

  @Override
  public void healthz(RoutingContext ctx) {
    ObjectNode status = Json.object();
    status.put("status", "ok");
    json(ctx, 200, status);
  }

  /** Ready when at least one backend passed its last health check; answered from memory. */
  @Override
  public void readyz(RoutingContext ctx) {
    RouteTable routes = directory.routes();
    long healthy = routes.pools().stream().filter(BackendPool::hasHealthyBackend).count();
    ObjectNode status = Json.object();
    boolean draining = shared.draining().get();
    LocalModels models = admin.models();
    boolean starting = !models.started();
    boolean ready = !draining && !starting && (healthy > 0 || models.lifecycle().canLoadOnRequest());
    status.put("status", ready ? "ready" : "not_ready");
    status.putObject("models").put("total", routes.pools().size()).put("healthy", healthy);
    // Retrieval is reported on its own: a database that is away does not make the gateway unready.
    ObjectNode store = status.putObject("retrieval")
        .put("store", retrieval.service().storeName())
        .put("persistent", retrieval.service().persistent())
        .put("available", retrieval.available());
    if (!retrieval.service().persistent()) {
      store.put("warning", Retrieval.IN_MEMORY_WARNING);
    }
    if (draining) {
      status.set("error", new ApiException(503, "server_error", null, "server_shutting_down",
          "The gateway is shutting down.").toJson().get("error"));
    } else if (!ready) {
      String why = starting ? "Models are still starting (the startup profile and preloads)."
          : routes.pools().isEmpty() ? "No backend is configured, and no local model can be loaded."
          : "No backend has passed its health check yet.";
      status.set("error", new ApiException(503, "server_error", null, "not_ready", why).toJson().get("error"));
    }
    json(ctx, ready ? 200 : 503, status);
  }

  private void failed(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    ApiException error = failure instanceof ApiException api ? api
        : ctx.statusCode() == 413 ? BoundedBody.tooLarge(config.limits().bodyBytes())
        : ctx.statusCode() == 400 ? BoundedBody.unreadable()
        : asApiError(failure, ctx.request(), ctx.get(TAG));
    answered(ctx, error);
  }

  /** Answers with {@code error}, and notes it on the request's record for the access log. */
  private static void answered(RoutingContext ctx, ApiException error) {
    RequestRecord tag = ctx.get(TAG);
    if (tag != null) {
      tag.answeredWith(error);
    }
    ClientFace face = ctx.get(FACE);
    ErrorResponses.send(ctx.response(), error, face != null ? face : Routes.face(ctx.request().path()));
  }

  /** The error a failure is answered with: itself when it is an API error, else a logged 500. */
  private static ApiException asApiError(Throwable failure, HttpServerRequest request, RequestRecord tag) {
    if (failure instanceof ApiException api) {
      return api;
    }
    LOG.log(Level.SEVERE, "unexpected failure on " + request.method() + " " + AccessLog.field(request.path())
        + " request_id=" + (tag == null ? "-" : tag.requestId()), failure);
    return new ApiException(500, "server_error", null, "internal_error",
        "The gateway failed while handling this request (request id " + (tag == null ? "-" : tag.requestId()) + ").");
  }

  private static void json(RoutingContext ctx, int status, ObjectNode body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(Json.buffer(body));
  }
}
