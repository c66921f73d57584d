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
  /** Cluster-wide profile switches. */
  private ClusterProfileSwitch profiles;
  /** Loads of cold models, once in the cluster. */
  private ClusterPlacement placement;
  private final String nodeId;

  private ClusterNode(Membership membership, String nodeId) {
    this.membership = membership;
    this.nodeId = nodeId;
  }

  /**
   * Joins the cluster when one is configured; {@code port} is the one the gateway listens on, and
   * {@code hostName} this host's name (looked up on a worker), the node's default name and address.
   */
  static Optional<ClusterNode> join(Vertx vertx, MagiConfig config, int port, BackendDirectory directory,
      LocalModels models, String hostName) {
    MagiConfig.Cluster cluster = config.cluster();
    if (cluster.redisUrl().isEmpty()) {
      return Optional.empty();
    }
    String host = config.server().host();
    String reachable = host.equals("0.0.0.0") || host.equals("::") ? hostName : host;
    String nodeId = cluster.nodeId().orElse(hostName + ":" + port);
    String advertise = cluster.advertiseUrl().orElse("http://" + (reachable.contains(":") ? "[" + reachable + "]"
        : reachable) + ":" + port);
    ClusterSettings settings = new ClusterSettings(cluster.redisUrl().get(), nodeId, advertise, cluster.heartbeat(),
        cluster.ttl());
    RemoteMembers remote = new RemoteMembers(nodeId, cluster.secret(), directory,
        name -> models.lifecycle().view(name).isPresent());
    Membership membership = new Membership(vertx, settings, () -> advertised(nodeId, advertise, directory, models),
        remote::seen);
    membership.start();
    ClusterNode node = new ClusterNode(membership, nodeId);
    node.profiles = ClusterProfileSwitch.follow(vertx, membership, nodeId, models, cluster.heartbeat().toMillis());
    node.placement = new ClusterPlacement(vertx, new dev.magi.cluster.LoadLocks(membership::redis, nodeId), directory,
        models.lifecycle(), config.models().maxStartupTime().plus(cluster.ttl()));
    return Optional.of(node);
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

  /** Loads of cold models, once in the cluster. */
  ClusterPlacement placement() {
    return placement;
  }

  /** Cluster-wide profile switches, given here or by any node. */
  ClusterProfileSwitch profiles() {
    return profiles;
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
    if (profiles != null) {
      profiles.stop();
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
    return new NodeRecord(nodeId, advertise, CommandLine.version(), states, free, total, 0,
        models.lifecycle().memoryFree());
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
    /** Whether this node can load a model itself (its file is here). */
    private final java.util.function.Predicate<String> loadableHere;
    private java.util.Set<String> declared = java.util.Set.of();

    RemoteMembers(String self, Optional<String> secret, BackendDirectory directory,
        java.util.function.Predicate<String> loadableHere) {
      this.self = self;
      this.secret = secret;
      this.directory = directory;
      this.loadableHere = loadableHere;
    }

    void seen(ClusterView view) {
      if (secret.isEmpty()) {
        return;
      }
      java.util.Set<String> now = new java.util.TreeSet<>();
      List<ModelDeclaration> declarations = new ArrayList<>();
      java.time.Instant at = java.time.Instant.now();
      // A cold model this node cannot load goes to the one node that can with the most memory left.
      Map<String, NodeRecord> placement = new java.util.TreeMap<>();
      java.util.Set<String> loadedSomewhere = new java.util.HashSet<>();
      for (NodeRecord node : view.nodes()) {
        if (node.nodeId().equals(self) || endpoint(node) == null) {
          continue;
        }
        for (NodeRecord.ModelState model : node.models()) {
          if (model.status().equals("loaded")) {
            loadedSomewhere.add(model.id());
            now.add(model.id() + " " + node.advertiseUrl());
            declarations.add(new ModelDeclaration(model.id(), List.of(), endpoint(node), model.id(), at));
          } else if (model.status().equals("unloaded") && !loadableHere.test(model.id())) {
            placement.merge(model.id(), node, RemoteMembers::roomier);
          }
        }
      }
      placement.forEach((model, node) -> {
        if (!loadedSomewhere.contains(model)) {
          now.add(model + " " + node.advertiseUrl() + " cold");
          declarations.add(new ModelDeclaration(model, List.of(), endpoint(node), model, at));
        }
      });
      if (!now.equals(declared)) {
        declared = now;
        directory.replace(SOURCE, declarations);
      }
    }

    /** The node with the more memory left, then the more free slots, then the first by id. */
    private static NodeRecord roomier(NodeRecord a, NodeRecord b) {
      int byMemory = Long.compare(a.memoryFreeBytes(), b.memoryFreeBytes());
      if (byMemory != 0) {
        return byMemory > 0 ? a : b;
      }
      if (a.freeSlots() != b.freeSlots()) {
        return a.freeSlots() > b.freeSlots() ? a : b;
      }
      return a.nodeId().compareTo(b.nodeId()) <= 0 ? a : b;
    }

    /** The node as a backend of this node's pools, or null when its address cannot be one. */
    private Endpoint endpoint(NodeRecord node) {
      try {
        return Endpoint.of(BackendType.MAGI, node.advertiseUrl(), secret.get());
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }

  /** This host's name, as the resolver gives it ("localhost" when it cannot): blocking, for a worker. */
  static String localHostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }
}
