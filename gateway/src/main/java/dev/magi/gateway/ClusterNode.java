package dev.magi.gateway;

import dev.magi.cluster.ClusterSettings;
import dev.magi.cluster.ClusterView;
import dev.magi.cluster.Membership;
import dev.magi.cluster.NodeRecord;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.models.ModelLifecycle;
import dev.magi.router.Backend;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendPool;
import dev.magi.router.BackendType;
import dev.magi.router.Endpoint;
import dev.magi.router.ModelDeclaration;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * This gateway as a node of a cluster ({@code cluster.redis_url}): its membership, what it advertises
 * of itself at each heartbeat (the models its own backends serve or it can load, with their status,
 * and their free and total slots), and the other nodes as members of its pools.
 */
final class ClusterNode {

  private final Membership membership;
  private dev.magi.cluster.SharedCounters counters;
  private final String nodeId;

  private ClusterNode(Membership membership, String nodeId) {
    this.membership = membership;
    this.nodeId = nodeId;
  }

  /** Joins the cluster when one is configured; {@code port} is the one the gateway listens on. */
  static Optional<ClusterNode> join(Vertx vertx, MagiConfig config, int port, BackendDirectory directory,
      LocalModels models) {
    MagiConfig.Cluster cluster = config.cluster();
    if (cluster.redisUrl().isEmpty()) {
      return Optional.empty();
    }
    String host = config.server().host();
    String reachable = host.equals("0.0.0.0") || host.equals("::") ? localHostName() : host;
    String nodeId = cluster.nodeId().orElse(localHostName() + ":" + port);
    String advertise = cluster.advertiseUrl().orElse("http://" + (reachable.contains(":") ? "[" + reachable + "]"
        : reachable) + ":" + port);
    ClusterSettings settings = new ClusterSettings(cluster.redisUrl().get(), nodeId, advertise, cluster.heartbeat(),
        cluster.ttl());
    RemoteMembers remote = new RemoteMembers(nodeId, cluster.secret(), directory);
    Membership membership = new Membership(vertx, settings, () -> advertised(nodeId, advertise, directory, models),
        remote::seen);
    membership.start();
    ClusterNode node = new ClusterNode(membership, nodeId);
    node.followOrders(vertx, models, cluster.heartbeat().toMillis());
    return Optional.of(node);
  }

  /** Cluster-wide profile switches: orders given by any node, read at each heartbeat. */
  private dev.magi.cluster.ProfileOrders orders;
  /** The orders this node has applied, or has seen given before it joined (which it leaves alone). */
  private final java.util.Set<String> applied = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private long following = -1;
  private Vertx timers;
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ClusterNode.class.getName());

  /**
   * Reads the cluster's profile order every {@code everyMillis} and applies, once, each order given
   * after this node joined: its profile is activated here (make-before-break, as a local switch), with
   * its progress and result written back for the node that gave the order.
   */
  private void followOrders(Vertx vertx, LocalModels models, long everyMillis) {
    timers = vertx;
    orders = new dev.magi.cluster.ProfileOrders(membership::redis);
    long joinedAt = System.currentTimeMillis();
    following = vertx.setPeriodic(everyMillis, everyMillis, id -> orders.current().onSuccess(current ->
        current.ifPresent(order -> {
          if (order.givenAtMillis() < joinedAt || !applied.add(order.id())) {
            return;
          }
          apply(order, models);
        })));
  }

  /** Activates the order's profile here, reporting "switching", then the result. */
  private void apply(dev.magi.cluster.ProfileOrders.Order order, LocalModels models) {
    LOG.info(() -> "cluster: activating profile " + order.profile() + " as the cluster was asked to");
    orders.report(order, nodeId, "{\"status\":\"switching\"}");
    models.switchProfile(order.profile()).onComplete(done -> {
      com.fasterxml.jackson.databind.node.ObjectNode result;
      if (done.succeeded()) {
        result = AdminApi.switchJson(done.result());
        result.put("status", done.result().failed().isEmpty() ? "ready" : "failed");
      } else {
        result = dev.magi.proxy.api.Json.object().put("status", "failed")
            .put("error", AdminApi.toApi(done.cause()).getMessage());
      }
      orders.report(order, nodeId, dev.magi.proxy.api.Json.string(result));
    });
  }

  /**
   * Gives the order to activate {@code profile} on every node, this one included, and gathers the
   * nodes' results: every node alive in the view has reported its end, or {@code within} has passed
   * (nodes still switching then say so).
   *
   * @return the results by node id
   */
  Future<java.util.Map<String, com.fasterxml.jackson.databind.JsonNode>> switchEverywhere(Vertx vertx,
      String profile, LocalModels models, java.time.Duration within) {
    return orders.give(profile).compose(order -> {
      applied.add(order.id());
      apply(order, models);
      io.vertx.core.Promise<java.util.Map<String, com.fasterxml.jackson.databind.JsonNode>> gathered =
          io.vertx.core.Promise.promise();
      long deadline = System.nanoTime() + within.toNanos();
      gather(vertx, order, deadline, gathered);
      return gathered.future();
    });
  }

  private void gather(Vertx vertx, dev.magi.cluster.ProfileOrders.Order order, long deadline,
      io.vertx.core.Promise<java.util.Map<String, com.fasterxml.jackson.databind.JsonNode>> gathered) {
    orders.results(order).onComplete(read -> {
      java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> results = new java.util.TreeMap<>();
      if (read.succeeded()) {
        read.result().forEach((node, json) -> {
          com.fasterxml.jackson.databind.JsonNode parsed = dev.magi.proxy.api.Json.parseOrNull(
              io.vertx.core.buffer.Buffer.buffer(json));
          if (parsed != null) {
            results.put(node, parsed);
          }
        });
      }
      boolean everyNodeEnded = view().nodes().stream().allMatch(node -> results.containsKey(node.nodeId())
          && !"switching".equals(results.get(node.nodeId()).path("status").asText()));
      if (everyNodeEnded || System.nanoTime() > deadline) {
        view().nodes().forEach(node -> results.putIfAbsent(node.nodeId(), dev.magi.proxy.api.Json.object()
            .put("status", "no_answer")));
        gathered.tryComplete(results);
        return;
      }
      vertx.setTimer(200, again -> gather(vertx, order, deadline, gathered));
    });
  }

  /** How often a node sends its keys' counts to Redis and reads the cluster's. */
  static final long COUNTERS_EVERY_MILLIS = 250;

  /** Counters every node adds to, for keys' limits, on this node's Redis connection; started. */
  dev.magi.cluster.SharedCounters counters(Vertx vertx) {
    if (counters == null) {
      counters = new dev.magi.cluster.SharedCounters(vertx, membership::redis, COUNTERS_EVERY_MILLIS);
      counters.start();
    }
    return counters;
  }

  String nodeId() {
    return nodeId;
  }

  /** The cluster as last seen. */
  ClusterView view() {
    return membership.view();
  }

  /** Leaves the cluster at once (a clean stop); later calls do nothing. */
  Future<Void> leave() {
    if (counters != null) {
      counters.stop();
    }
    if (following >= 0) {
      timers.cancelTimer(following);
    }
    return membership.leave();
  }

  /** What this node says of itself now. */
  static NodeRecord advertised(String nodeId, String advertise, BackendDirectory directory, LocalModels models) {
    Map<String, String> status = new LinkedHashMap<>();
    for (ModelLifecycle.View view : models.lifecycle().views()) {
      status.put(view.entry().id(), view.status().json());
    }
    int free = 0;
    int total = 0;
    for (BackendPool pool : directory.routes().pools()) {
      for (Backend backend : pool.backends()) {
        if (backend.endpoint().type() == BackendType.MAGI) {
          // Reached through another node: not this node's to advertise.
          continue;
        }
        status.put(pool.modelId(), "loaded");
        if (backend.slots() != Backend.UNLIMITED) {
          total += backend.slots();
          free += Math.max(0, backend.slots() - backend.inFlight());
        }
      }
    }
    List<NodeRecord.ModelState> states = new ArrayList<>();
    status.forEach((id, state) -> states.add(new NodeRecord.ModelState(id, state)));
    return new NodeRecord(nodeId, advertise, CommandLine.version(), states, free, total, 0);
  }

  /** The source under which other nodes' models are declared in the backend directory. */
  static final String SOURCE = "cluster";

  /**
   * Other nodes as members of this node's pools: for each model another node has loaded, that node
   * (its OpenAI API, as a {@link BackendType#MAGI} backend presenting the cluster's secret). Declared
   * again only when the set changes; without a secret, nothing is declared.
   */
  private static final class RemoteMembers {
    private final String self;
    private final Optional<String> secret;
    private final BackendDirectory directory;
    private java.util.Set<String> declared = java.util.Set.of();

    RemoteMembers(String self, Optional<String> secret, BackendDirectory directory) {
      this.self = self;
      this.secret = secret;
      this.directory = directory;
    }

    void seen(ClusterView view) {
      if (secret.isEmpty()) {
        return;
      }
      java.util.Set<String> now = new java.util.TreeSet<>();
      List<ModelDeclaration> declarations = new ArrayList<>();
      java.time.Instant at = java.time.Instant.now();
      for (NodeRecord node : view.nodes()) {
        if (node.nodeId().equals(self)) {
          continue;
        }
        Endpoint endpoint;
        try {
          endpoint = Endpoint.of(BackendType.MAGI, node.advertiseUrl(), secret.get());
        } catch (IllegalArgumentException e) {
          continue;
        }
        for (NodeRecord.ModelState model : node.models()) {
          if (model.status().equals("loaded")) {
            now.add(model.id() + " " + node.advertiseUrl());
            declarations.add(new ModelDeclaration(model.id(), List.of(), endpoint, model.id(), at));
          }
        }
      }
      if (!now.equals(declared)) {
        declared = now;
        directory.replace(SOURCE, declarations);
      }
    }
  }

  private static String localHostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }
}
