package dev.magi.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.cluster.Membership;
import dev.magi.cluster.ProfileOrders;
import dev.magi.proxy.api.Json;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Profile switches for the whole cluster ({@code "scope": "cluster"}): this node reads the cluster's
 * order at every heartbeat and applies, once, each order given after it joined, activating the
 * profile here (make-before-break, as a local switch) and writing its progress and result back; and
 * it gives orders and gathers every node's result.
 */
final class ClusterProfileSwitch {

  private static final Logger LOG = Logger.getLogger(ClusterProfileSwitch.class.getName());

  private final Vertx vertx;
  private final Membership membership;
  private final ProfileOrders orders;
  private final String nodeId;
  private final LocalModels models;
  /** The orders this node has applied. */
  private final Set<String> applied = ConcurrentHashMap.newKeySet();
  private long timer = -1;

  private ClusterProfileSwitch(Vertx vertx, Membership membership, String nodeId, LocalModels models) {
    this.vertx = vertx;
    this.membership = membership;
    this.orders = new ProfileOrders(membership::redis);
    this.nodeId = nodeId;
    this.models = models;
  }

  /** Follows the cluster's orders from now on, reading them every {@code everyMillis}. */
  static ClusterProfileSwitch follow(Vertx vertx, Membership membership, String nodeId, LocalModels models,
      long everyMillis) {
    ClusterProfileSwitch profiles = new ClusterProfileSwitch(vertx, membership, nodeId, models);
    long joinedAt = System.currentTimeMillis();
    profiles.timer = vertx.setPeriodic(everyMillis, everyMillis, id -> profiles.orders.current()
        .onSuccess(current -> current.ifPresent(order -> {
          if (order.givenAtMillis() >= joinedAt && profiles.applied.add(order.id())) {
            profiles.apply(order);
          }
        })));
    return profiles;
  }

  /** Stops reading orders. */
  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Activates the order's profile here, reporting "switching", then the result. */
  private void apply(ProfileOrders.Order order) {
    LOG.info(() -> "cluster: activating profile " + order.profile() + " as the cluster was asked to");
    orders.report(order, nodeId, "{\"status\":\"switching\"}");
    models.switchProfile(order.profile()).onComplete(done -> {
      ObjectNode result;
      if (done.succeeded()) {
        result = AdminApi.switchJson(done.result());
        result.put("status", done.result().failed().isEmpty() ? "ready" : "failed");
      } else {
        result = Json.object().put("status", "failed").put("error", AdminApi.toApi(done.cause()).getMessage());
      }
      orders.report(order, nodeId, Json.string(result));
    });
  }

  /**
   * Gives the order to activate {@code profile} on every node, this one included, and gathers the
   * nodes' results: once every node alive in the view has reported its end, or {@code within} has
   * passed (nodes still switching then say so, and nodes that never answered say {@code no_answer}).
   *
   * @return the results by node id
   */
  Future<Map<String, JsonNode>> everywhere(String profile, Duration within) {
    return orders.give(profile).compose(order -> {
      applied.add(order.id());
      apply(order);
      Promise<Map<String, JsonNode>> gathered = Promise.promise();
      gather(order, System.nanoTime() + within.toNanos(), gathered);
      return gathered.future();
    });
  }

  private void gather(ProfileOrders.Order order, long deadline, Promise<Map<String, JsonNode>> gathered) {
    orders.results(order).onComplete(read -> {
      Map<String, JsonNode> results = new TreeMap<>();
      if (read.succeeded()) {
        read.result().forEach((node, json) -> {
          JsonNode parsed = Json.parseOrNull(Buffer.buffer(json));
          if (parsed != null) {
            results.put(node, parsed);
          }
        });
      }
      boolean everyNodeEnded = membership.view().nodes().stream().allMatch(node -> results.containsKey(node.nodeId())
          && !"switching".equals(results.get(node.nodeId()).path("status").asText()));
      if (everyNodeEnded || System.nanoTime() > deadline) {
        membership.view().nodes().forEach(node -> results.putIfAbsent(node.nodeId(),
            Json.object().put("status", "no_answer")));
        gathered.tryComplete(results);
        return;
      }
      vertx.setTimer(200, again -> gather(order, deadline, gathered));
    });
  }
}
