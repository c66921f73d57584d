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
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * This gateway as a node of a cluster ({@code cluster.redis_url}): its membership, and what it
 * advertises of itself at each heartbeat (the models it serves or can load, with their status, and
 * its backends' free and total slots).
 */
final class ClusterNode {

  private final Membership membership;
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
    Membership membership = new Membership(vertx, settings, () -> advertised(nodeId, advertise, directory, models));
    membership.start();
    return Optional.of(new ClusterNode(membership, nodeId));
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
      status.put(pool.modelId(), "loaded");
      for (Backend backend : pool.backends()) {
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

  private static String localHostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }
}
