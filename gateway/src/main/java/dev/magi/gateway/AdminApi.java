package dev.magi.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.gateway.api.Replies;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.models.Plan;
import dev.magi.models.Profile;
import dev.magi.models.ProfileException;
import dev.magi.models.ProfileModel;
import dev.magi.models.ProfileSwitcher;
import dev.magi.models.SwitchResult;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.CallerContext;
import dev.magi.proxy.api.Json;
import dev.magi.registry.CatalogJson;
import dev.magi.registry.ModelEntry;
import dev.magi.router.Backend;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendPool;
import dev.magi.router.Endpoint;
import dev.magi.servers.ServerException;
import dev.magi.servers.ServerInfo;
import dev.magi.servers.ServerState;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The models admin API under {@code /api/models} (paths and shapes of the original MAGI system):
 * the registry, the servers, and starting and stopping them. Every handler only calls futures, so
 * one instance serves every event loop.
 */
final class AdminApi {

  /** Most log lines returned at once. */
  static final int MAX_LOG_LINES = 1000;

  private final LocalModels models;
  private final AdminGuard guard;
  private final BackendDirectory directory;
  private volatile MagiConfig.Routing routing;
  private volatile ConfigReload reloader;

  /** The router settings {@code /api/router} reports, after a reload. */
  void routing(MagiConfig.Routing routing) {
    this.routing = routing;
  }

  /** Who may use the admin API. */
  AdminGuard guard() {
    return guard;
  }

  /** What {@code POST /api/config/reload} runs; set once the gateway is up. */
  void reloader(ConfigReload reloader) {
    this.reloader = reloader;
  }

  AdminApi(LocalModels models, AdminGuard guard, BackendDirectory directory, MagiConfig.Routing routing) {
    this.models = models;
    this.guard = guard;
    this.directory = directory;
    this.routing = routing;
  }

  /** Local models: catalogue, fleet, profiles, on-demand loading. */
  LocalModels models() {
    return models;
  }

  /** {@code GET /api/models/registry}. */
  void registry(RoutingContext ctx) {
    json(ctx, registryJson(models.catalog().current()));
  }

  /** {@code POST /api/models/registry/rescan}. */
  void rescan(RoutingContext ctx) {
    respond(ctx, models.catalog().rescan(), this::registryJson);
  }

  /**
   * The catalogue, each model with how it stands now: {@code state} ({@code loaded}, {@code loading},
   * {@code unloaded}, {@code failed}), {@code state_reason} when it failed, and {@code pinned}.
   */
  private ObjectNode registryJson(dev.magi.registry.Catalog catalog) {
    ObjectNode body = CatalogJson.catalog(catalog);
    body.withArray("models").forEach(node -> models.lifecycle().view(node.path("id").asText()).ifPresent(view -> {
      ObjectNode model = (ObjectNode) node;
      model.put("state", view.status().json());
      if (!view.reason().isEmpty()) {
        model.put("state_reason", view.reason());
      }
      model.put("pinned", view.pinned());
    }));
    return body;
  }

  /** {@code POST /api/models/(name)/start}. */
  void start(RoutingContext ctx) {
    respond(ctx, models.fleet().ensureReady(ctx.pathParam("name")), AdminApi::startedJson);
  }

  /** {@code POST /api/models/(name)/stop}. */
  void stop(RoutingContext ctx) {
    respond(ctx, models.fleet().stop(ctx.pathParam("name")), AdminApi::startedJson);
  }

  /** What {@code POST /api/models/profile/activate} reads its small JSON body with. */
  static BodyHandler activateBody() {
    return BodyHandler.create(false).setBodyLimit(64 * 1024);
  }

  /** {@code GET /api/models/profiles}. */
  void profiles(RoutingContext ctx) {
    ProfileSwitcher switcher = models.profiles();
    ObjectNode body = Json.object();
    ArrayNode list = body.putArray("profiles");
    for (Profile profile : switcher.profiles().values()) {
      ObjectNode item = list.addObject();
      item.put("name", profile.name());
      item.put("description", profile.description());
      item.put("memory_budget", profile.memoryBudget());
      ArrayNode entries = item.putArray("models");
      for (ProfileModel model : profile.models()) {
        ObjectNode entry = entries.addObject();
        entry.put("model", model.model());
        entry.put("backend", model.source().configName());
        entry.put("replicas", model.replicas());
        entry.put("on_demand", model.onDemand());
      }
      switcher.plan(profile.name()).ifPresent(plan -> {
        item.put("memory_estimate", plan.memoryEstimate());
        ArrayNode problems = item.putArray("problems");
        plan.problems().forEach(p -> problems.addObject().put("model", p.model()).put("error", p.error()));
      });
    }
    body.put("active_profile", switcher.active().map(Profile::name).orElse(null));
    switcher.switching().ifPresent(progress -> {
      ObjectNode switching = body.putObject("switching");
      switching.put("target", progress.target());
      ArrayNode pending = switching.putArray("pending");
      progress.pending().forEach(pending::add);
      ArrayNode ready = switching.putArray("ready");
      progress.ready().forEach(ready::add);
      switching.set("failed", problems(progress.failed()));
    });
    json(ctx, body);
  }

  /** {@code {"profile_name": "..."}}; waits for the switch unless {@code ?wait=false} (then 202). */
  void activate(RoutingContext ctx) {
    com.fasterxml.jackson.databind.JsonNode request = Json.parseOrNull(ctx.body().buffer() == null
        ? io.vertx.core.buffer.Buffer.buffer() : ctx.body().buffer());
    if (request == null || !request.path("profile_name").isTextual()) {
      throw ApiException.invalid("profile_name", "Send {\"profile_name\": \"<name>\"}.");
    }
    String name = request.get("profile_name").asText();
    String scope = request.path("scope").asText("node");
    if (scope.equals("cluster")) {
      activateEverywhere(ctx, name);
      return;
    }
    if (!scope.equals("node")) {
      throw ApiException.invalid("scope", "'scope' must be node (the default) or cluster.");
    }
    Future<SwitchResult> switched = models.switchProfile(name);
    if ("false".equals(ctx.request().getParam("wait"))) {
      if (switched.failed()) {
        ctx.fail(toApi(switched.cause()));
        return;
      }
      ObjectNode accepted = Json.object();
      accepted.put("profile", name);
      accepted.put("status", "switching");
      ctx.response().setStatusCode(202);
      json(ctx, accepted);
      return;
    }
    respond(ctx, switched, AdminApi::switchJson);
  }

  /**
   * {@code "scope": "cluster"}: every node of the cluster activates the profile, and the answer gathers
   * their results ({@code nodes}, by node id: {@code status} {@code ready}, {@code failed},
   * {@code switching} or {@code no_answer}, and what each started, stopped and kept), waiting at most
   * {@link #CLUSTER_SWITCH_WAIT} after the order.
   */
  private void activateEverywhere(RoutingContext ctx, String name) {
    ClusterNode node = cluster;
    if (node == null) {
      throw ApiException.invalid("scope", "'scope': 'cluster' needs a cluster (cluster.redis_url).");
    }
    if (!models.profiles().profiles().containsKey(name)) {
      throw dev.magi.gateway.api.DomainErrors.of(new ProfileException(ProfileException.Reason.PROFILE_NOT_FOUND,
          "No profile is called '" + name + "'."));
    }
    respond(ctx, node.profiles().everywhere(name, CLUSTER_SWITCH_WAIT), results -> {
      ObjectNode body = Json.object().put("profile", name).put("scope", "cluster");
      body.put("ready", results.values().stream().allMatch(r -> "ready".equals(r.path("status").asText())));
      ObjectNode nodes = body.putObject("nodes");
      results.forEach(nodes::set);
      return body;
    });
  }

  /** Longest a cluster-wide switch is waited for: nodes still switching then say so. */
  static final java.time.Duration CLUSTER_SWITCH_WAIT = java.time.Duration.ofMinutes(3);

  /** A switch's result: the profile, and the models started, stopped, kept and failed. */
  static ObjectNode switchJson(SwitchResult result) {
    ObjectNode body = Json.object();
    body.put("profile", result.profile());
    ArrayNode started = body.putArray("started");
    result.started().forEach(started::add);
    ArrayNode stopped = body.putArray("stopped");
    result.stopped().forEach(stopped::add);
    ArrayNode kept = body.putArray("kept");
    result.kept().forEach(kept::add);
    body.set("failed", problems(result.failed()));
    return body;
  }

  private static ArrayNode problems(List<Plan.Problem> problems) {
    ArrayNode list = Json.array();
    problems.forEach(p -> list.addObject().put("name", p.model()).put("error", p.error()));
    return list;
  }

  /** Every model's pool: policy, queue, retry budget, and each backend's state. */
  /** {@code GET /api/cluster}: this node, and every node of the cluster as last seen. */
  void cluster(RoutingContext ctx) {
    ObjectNode body = Json.object();
    ClusterNode node = cluster;
    body.put("enabled", node != null);
    ArrayNode nodes = body.putArray("nodes");
    if (node != null) {
      dev.magi.cluster.ClusterView view = node.view();
      long now = System.currentTimeMillis();
      body.put("node_id", node.nodeId());
      body.putObject("redis").put("available", view.redisAvailable())
          .put("last_seen_ms_ago", view.lastSeenMillis() == 0 ? -1 : now - view.lastSeenMillis());
      for (dev.magi.cluster.NodeRecord record : view.nodes()) {
        ObjectNode one = nodes.addObject();
        one.put("node_id", record.nodeId()).put("advertise_url", record.advertiseUrl())
            .put("version", record.version()).put("self", record.nodeId().equals(node.nodeId()))
            .put("free_slots", record.freeSlots()).put("total_slots", record.totalSlots())
            .put("age_ms", Math.max(0, now - record.writtenAtMillis()));
        ArrayNode models = one.putArray("models");
        record.models().forEach(model -> models.addObject().put("id", model.id()).put("status", model.status()));
      }
    }
    json(ctx, body);
  }

  /** The cluster node, once the gateway has joined; null when no cluster is configured. */
  private volatile ClusterNode cluster;

  void cluster(ClusterNode node) {
    cluster = node;
  }

  /** This node in its cluster; null without one (or before it joined). */
  ClusterNode clusterNode() {
    return cluster;
  }

  void routerState(RoutingContext ctx) {
    ObjectNode body = Json.object();
    ArrayNode list = body.putArray("models");
    for (BackendPool pool : directory.routes().pools()) {
      ObjectNode model = list.addObject();
      model.put("id", pool.modelId());
      model.put("policy", routing.policyOf(pool.modelId()));
      model.put("waiting", pool.queue().waiting());
      model.put("active", pool.retries().active());
      model.put("retrying", pool.retries().retrying());
      ArrayNode backends = model.putArray("backends");
      for (Backend backend : pool.backends()) {
        Endpoint endpoint = backend.endpoint();
        ObjectNode item = backends.addObject();
        item.put("endpoint", endpoint.name());
        item.put("type", endpoint.type().configName());
        item.put("upstream_model", backend.upstreamModel());
        item.put("health", endpoint.health().name().toLowerCase(java.util.Locale.ROOT));
        item.put("ejected", endpoint.outliers().isEjected());
        item.put("ejections", endpoint.outliers().ejections());
        item.put("share", endpoint.outliers().share());
        item.put("in_flight", backend.inFlight());
        if (backend.slots() == dev.magi.router.Backend.UNLIMITED) {
          item.putNull("slots");
        } else {
          item.put("slots", backend.slots());
        }
        item.put("first_event_ms", Math.round(backend.firstEventMillis() * 10) / 10.0);
        item.put("last_error", endpoint.lastError());
      }
    }
    json(ctx, body);
  }

  /** {@code GET /api/models/servers}: every model server, its state, port and process. */
  void servers(RoutingContext ctx) {
    ObjectNode body = Json.object();
    ArrayNode list = body.putArray("servers");
    List<ServerInfo> servers = models.fleet().servers();
    servers.forEach(server -> list.add(serverJson(server)));
    body.put("total", servers.size());
    json(ctx, body);
  }

  /**
   * Starts the models of the active profile (a reconcile of it); with no active profile, every valid
   * model of the registry.
   */
  void startAll(RoutingContext ctx) {
    Optional<Profile> active = models.profiles().active();
    if (active.isPresent()) {
      respond(ctx, models.switchProfile(active.get().name()), result -> {
        ObjectNode body = switchJson(result);
        ArrayNode started = body.putArray("started");
        result.started().forEach(started::add);
        result.kept().forEach(started::add);
        return body;
      });
      return;
    }
    List<String> names = models.catalog().current().models().stream().filter(ModelEntry::valid)
        .map(ModelEntry::id).toList();
    List<Future<ServerInfo>> starts = new ArrayList<>();
    names.forEach(name -> starts.add(models.fleet().ensureReady(name)));
    CallerContext.resume(Future.join(starts)).onComplete(done -> {
      ObjectNode body = Json.object();
      ArrayNode started = body.putArray("started");
      ArrayNode failed = body.putArray("failed");
      for (int i = 0; i < names.size(); i++) {
        Future<ServerInfo> start = starts.get(i);
        if (start.succeeded()) {
          started.add(names.get(i));
        } else {
          failed.addObject().put("name", names.get(i)).put("error", start.cause().getMessage());
        }
      }
      json(ctx, body);
    });
  }

  /** {@code POST /api/models/stop}: stops every model server. */
  void stopAll(RoutingContext ctx) {
    List<String> running = models.fleet().servers().stream()
        .filter(s -> s.state() == ServerState.READY || s.state() == ServerState.STARTING)
        .map(ServerInfo::name).toList();
    CallerContext.resume(models.fleet().stopAll()).onComplete(done -> {
      ObjectNode body = Json.object();
      ArrayNode stopped = body.putArray("stopped");
      running.forEach(stopped::add);
      json(ctx, body);
    });
  }

  /** {@code GET /api/models/(name)/logs}: the tail of a model server's log. */
  void logs(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if ("true".equals(ctx.request().getParam("follow"))) {
      LogFollower.follow(ctx, models.fleet(), name);
      return;
    }
    int lines = lineCount(ctx.request());
    respond(ctx, models.fleet().logs(name, lines), tail -> {
      ObjectNode body = Json.object();
      body.put("name", name);
      ArrayNode list = body.putArray("lines");
      tail.forEach(list::add);
      return body;
    });
  }

  /** The {@code lines} parameter: 100 when absent; 1 to {@link #MAX_LOG_LINES}, else 400. */
  static int lineCount(io.vertx.core.http.HttpServerRequest request) {
    return dev.magi.gateway.api.QueryParams.integer(request, "lines", 100, 1, MAX_LOG_LINES);
  }

  static ObjectNode serverJson(ServerInfo server) {
    ObjectNode json = Json.object();
    json.put("name", server.name());
    json.put("model", server.model());
    json.put("port", server.port());
    json.put("pid", server.pid());
    json.put("status", server.state().json());
    json.put("started_at", server.startedAt().map(Object::toString).orElse(null));
    json.put("restarts", server.restarts());
    json.put("url", server.url());
    if (!server.lastError().isEmpty()) {
      json.put("last_error", server.lastError());
    }
    return json;
  }

  private static ObjectNode startedJson(ServerInfo server) {
    ObjectNode json = Json.object();
    json.put("name", server.name());
    json.put("port", server.port());
    json.put("status", server.state().json());
    return json;
  }

  /** Re-reads the configuration; 400 {@code invalid_configuration} with the field path when it does not load. */
  void reloadConfig(RoutingContext ctx) {
    ConfigReload current = reloader;
    if (current == null) {
      throw new ApiException(503, "server_error", null, "not_ready", "The gateway is still starting.");
    }
    respond(ctx, current.reload("POST /api/config/reload"), changes -> {
      ObjectNode body = Json.object();
      body.put("reloaded", true);
      ArrayNode applied = body.putArray("applied");
      changes.applied().forEach(applied::add);
      ArrayNode restart = body.putArray("restart_required");
      changes.restartRequired().forEach(restart::add);
      return body;
    });
  }

  private static <T> void respond(RoutingContext ctx, Future<T> result, Function<T, ObjectNode> toJson) {
    Replies.respond(ctx, result, toJson, AdminApi::toApi);
  }

  /** The admin API's face of a supervisor failure. */
  static ApiException toApi(Throwable failure) {
    if (failure instanceof ProfileException profile) {
      return dev.magi.gateway.api.DomainErrors.of(profile);
    }
    if (failure instanceof ServerException server) {
      return dev.magi.gateway.api.DomainErrors.of(server);
    }
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof dev.magi.gateway.config.ConfigException invalid) {
      return new ApiException(400, "invalid_request_error", null, "invalid_configuration",
          "The configuration was not reloaded, and the running one stays: " + invalid.getMessage());
    }
    return ApiException.unexpected(java.util.logging.Logger.getLogger(AdminApi.class.getName()), "admin request",
        failure);
  }

  private static void json(RoutingContext ctx, ObjectNode body) {
    if (!ctx.response().ended()) {
      ctx.response().putHeader("Content-Type", "application/json").end(Json.buffer(body));
    }
  }
}
