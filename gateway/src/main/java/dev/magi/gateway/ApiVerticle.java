package dev.magi.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.gateway.api.ApiException;
import dev.magi.gateway.api.ApiRequest;
import dev.magi.gateway.api.Json;
import dev.magi.gateway.api.Operation;
import dev.magi.gateway.api.RequestParser;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.gateway.proxy.ErrorResponses;
import dev.magi.gateway.proxy.Proxy;
import dev.magi.gateway.proxy.UpstreamClient;
import dev.magi.gateway.rag.ChatRetrieval;
import dev.magi.gateway.rag.Retrieval;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendPool;
import dev.magi.router.RouteTable;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.HexFormat;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One HTTP server instance on one event loop, with its own upstream client. Several instances share
 * the listening port; everything they share ({@link BackendDirectory}, configuration) is thread-safe.
 *
 * <p>{@link #routes()} is the one table of every endpoint and its handler chain.
 */
final class ApiVerticle extends AbstractVerticle {

  private static final Logger LOG = Logger.getLogger(ApiVerticle.class.getName());
  private static final String REQUEST_ID = "requestId";
  private static final String ACCESS_ENTRY = "accessEntry";

  private final MagiConfig config;
  private final int port;
  private final BackendDirectory directory;
  private final RequestParser parser;
  private final ApiKeys apiKeys;
  private final AdminApi admin;
  private final Retrieval retrieval;
  private final AccessLog.Sampler accessLog;
  private final IdleCollector.Arrivals arrivals;
  private Proxy proxy;
  private UpstreamClient upstream;
  private HttpServer server;

  /** @param port the port to listen on; -1 shares one random port among all instances */
  ApiVerticle(MagiConfig config, int port, BackendDirectory directory, RequestParser parser, AdminApi admin,
      Retrieval retrieval, AccessLog accessLog, IdleCollector.Arrivals arrivals) {
    this.config = config;
    this.arrivals = arrivals;
    this.accessLog = accessLog.sampler();
    this.admin = admin;
    this.retrieval = retrieval;
    this.port = port;
    this.directory = directory;
    this.parser = parser;
    this.apiKeys = new ApiKeys(config.apiKeys());
  }

  /** llama-server closes idle keep-alive connections after 5 s; ours are given up first. */
  static final Duration UPSTREAM_KEEP_ALIVE = Duration.ofSeconds(3);

  @Override
  public void start(Promise<Void> started) {
    // No limit on connections per backend: admission by slots decides how many requests a backend
    // gets, and a second, smaller limit would make a request wait behind whole streams.
    upstream = new UpstreamClient(vertx, config.timeouts().connect(), UPSTREAM_KEEP_ALIVE);
    OnDemandModels onDemand = admin.models().onDemand();
    proxy = new Proxy(vertx, upstream, directory, config,
        new Proxy.Loader() {
          @Override
          public void used(String model) {
            onDemand.used(model);
          }

          @Override
          public java.util.Optional<io.vertx.core.Future<BackendPool>> load(String model) {
            return onDemand.load(model);
          }
        });
    HttpServerOptions serverOptions = new HttpServerOptions()
        .setHost(config.server().host())
        .setPort(port)
        .setTcpNoDelay(true)
        .setCompressionSupported(false)
        // No WebSockets are served; without these Vert.x adds an extension handler to every connection.
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false)
        // Every response is written from its connection's event loop. Strict mode lets Vert.x write
        // directly instead of through a multi-producer queue, whose first chunk (about 4.6 KB) every
        // connection would otherwise hold for its whole life (vertx-core 5.0 VertxConnection).
        .setStrictThreadMode(true);
    vertx.createHttpServer(serverOptions)
        .requestHandler(routes())
        .listen()
        .<Void>map(listening -> {
          server = listening;
          return null;
        })
        .onComplete(started);
  }

  @Override
  public void stop() {
    if (upstream != null) {
      upstream.close();
    }
  }

  /** The port actually listened on. */
  int actualPort() {
    return server.actualPort();
  }

  /** Every endpoint, top to bottom. */
  Router routes() {
    Router router = Router.router(vertx);
    // Sized from Content-Length: by default every body starts in a 1 KB buffer, which a held stream
    // would keep for its whole life.
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.limits().bodyBytes())
        .setPreallocateBodyBuffer(true);
    router.route().handler(this::tagRequest);
    router.get("/healthz").handler(this::healthz);
    router.get("/readyz").handler(this::readyz);
    router.route("/v1/*").handler(this::authenticate);
    // The proxied routes come first: vertx-web tries routes in order and matches a route's path
    // before its method, so every chat request would otherwise run the models regex below.
    router.post("/v1/chat/completions").handler(body).handler(ctx -> forward(ctx, Operation.CHAT));
    router.post("/v1/completions").handler(body).handler(ctx -> forward(ctx, Operation.COMPLETION));
    router.post("/v1/embeddings").handler(body).handler(ctx -> forward(ctx, Operation.EMBEDDING));
    router.get("/v1/models").handler(this::listModels);
    router.getWithRegex("/v1/models/(?<id>.+)").handler(this::getModel);
    retrieval.api().routes(router);
    retrieval.files().routes(router);
    admin.routes(router);
    router.route().failureHandler(this::failed);
    router.errorHandler(404, ctx -> ErrorResponses.send(ctx.response(), new ApiException(404,
        "invalid_request_error", null, "unknown_url", "Unknown request URL: " + ctx.request().method() + " "
        + ctx.request().path() + ".")));
    router.errorHandler(405, ctx -> ErrorResponses.send(ctx.response(), new ApiException(405,
        "invalid_request_error", null, "method_not_allowed", "Method " + ctx.request().method()
        + " is not allowed on " + ctx.request().path() + ".")));
    return router;
  }

  /**
   * Counts the request as begun (the idle collector watches that), and gives it an id for logs and
   * {@code x-request-id}: unique enough, and no secret, so no SecureRandom here.
   */
  private void tagRequest(RoutingContext ctx) {
    arrivals.begin();
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    String id = "req_" + HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextInt());
    ctx.put(REQUEST_ID, id);
    ctx.response().putHeader("x-request-id", id);
    AccessLog.Entry entry = accessLog.begin(ctx.request(), id);
    if (entry != null) {
      ctx.put(ACCESS_ENTRY, entry);
    }
    ctx.next();
  }

  private void authenticate(RoutingContext ctx) {
    apiKeys.check(ctx.request().getHeader("Authorization"), ctx.request().getHeader("X-Api-Key"));
    ctx.next();
  }

  private void forward(RoutingContext ctx, Operation operation) {
    // The body has been read: the body handler's callbacks, and through them this routing context,
    // need not live as long as the request does (for a stream, minutes).
    ctx.request().handler(null).endHandler(null).exceptionHandler(null);
    ApiRequest request = parser.parse(operation, ctx.body().buffer());
    AccessLog.Entry entry = ctx.get(ACCESS_ENTRY);
    if (entry != null) {
      entry.model(request.model());
    }
    if (operation == Operation.CHAT && ChatRetrieval.wanted(request)) {
      retrieval.chat().apply(request, ctx.response()).onComplete(prepared -> {
        if (ctx.response().closed()) {
          return;
        }
        if (prepared.failed()) {
          ctx.fail(prepared.cause());
          return;
        }
        try {
          proxy.forward(prepared.result(), ctx.response(), ctx.get(REQUEST_ID));
        } catch (ApiException e) {
          ctx.fail(e);
        }
      });
      return;
    }
    proxy.forward(request, ctx.response(), ctx.get(REQUEST_ID));
  }

  private void listModels(RoutingContext ctx) {
    ObjectNode list = Json.object();
    list.put("object", "list");
    ArrayNode data = list.putArray("data");
    java.util.Set<String> listed = new java.util.HashSet<>();
    for (BackendPool pool : directory.routes().pools()) {
      ObjectNode model = model(pool);
      model.put("status", "loaded");
      data.add(model);
      listed.add(pool.modelId());
    }
    // Local models of the active profile that are not routable now: loading, or waiting for a request.
    LocalModels models = admin.models();
    models.profiles().active().ifPresent(profile -> profile.models().forEach(wanted -> {
      if (wanted.source() != dev.magi.profiles.ModelSource.LOCAL) {
        return;
      }
      models.catalog().current().find(wanted.model()).ifPresent(entry -> {
        if (listed.add(entry.id())) {
          ObjectNode model = Json.object();
          model.put("id", entry.id());
          model.put("object", "model");
          model.put("created", models.catalog().current().updatedAt().getEpochSecond());
          model.put("owned_by", "llamacpp");
          model.put("status", models.onDemand().state(entry.id()));
          data.add(model);
        }
      });
    }));
    json(ctx, 200, list);
  }

  private void getModel(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    BackendPool pool = directory.routes().resolve(id).orElseThrow(() -> ApiException.modelNotFound(id));
    json(ctx, 200, model(pool));
  }

  private static ObjectNode model(BackendPool pool) {
    ObjectNode model = Json.object();
    model.put("id", pool.modelId());
    model.put("object", "model");
    model.put("created", pool.created().getEpochSecond());
    model.put("owned_by", pool.ownedBy());
    if (!pool.aliases().isEmpty()) {
      ArrayNode aliases = model.putArray("aliases");
      pool.aliases().forEach(aliases::add);
    }
    return model;
  }

  private void healthz(RoutingContext ctx) {
    ObjectNode status = Json.object();
    status.put("status", "ok");
    json(ctx, 200, status);
  }

  /** Ready when at least one backend passed its last health check; answered from memory. */
  private void readyz(RoutingContext ctx) {
    RouteTable routes = directory.routes();
    long healthy = routes.pools().stream().filter(BackendPool::hasHealthyBackend).count();
    ObjectNode status = Json.object();
    boolean ready = healthy > 0;
    status.put("status", ready ? "ready" : "not_ready");
    status.putObject("models").put("total", routes.pools().size()).put("healthy", healthy);
    // Retrieval is reported on its own: a database that is away does not make the gateway unready.
    status.putObject("retrieval").put("store", retrieval.service().persistent() ? "postgresql" : "memory")
        .put("available", retrieval.available());
    if (!ready) {
      status.set("error", new ApiException(503, "server_error", null, "not_ready",
          routes.pools().isEmpty() ? "No backend is configured." : "No backend has passed its health check yet.")
          .toJson().get("error"));
    }
    json(ctx, ready ? 200 : 503, status);
  }

  private void failed(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    ApiException error;
    if (failure instanceof ApiException api) {
      error = api;
    } else if (ctx.statusCode() == 413) {
      error = new ApiException(413, "invalid_request_error", null, "request_too_large",
          "The request body is larger than " + config.limits().bodyBytes() + " bytes.");
    } else if (ctx.statusCode() == 400) {
      error = ApiException.invalid(null, "The request could not be read.");
    } else {
      LOG.log(Level.SEVERE, "unexpected failure on " + ctx.request().method() + " " + ctx.request().path(), failure);
      error = new ApiException(500, "server_error", null, "internal_error",
          "The gateway failed while handling this request (request id " + ctx.get(REQUEST_ID) + ").");
    }
    ErrorResponses.send(ctx.response(), error);
  }

  private static void json(RoutingContext ctx, int status, ObjectNode body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(Json.buffer(body));
  }
}
