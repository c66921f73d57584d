package dev.magi.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Cluster-wide profile switches through Redis. An order ({@code magi:cluster:profile}: which profile,
 * when, an id) stays for {@link #ORDER_TTL_MILLIS}; every node reads it at its heartbeats and applies
 * each order it has not applied, if the order was given after the node joined; each node writes its
 * progress and result to the order's hash ({@code magi:cluster:profile:<id>}, a field per node), which
 * the node that gave the order gathers. Orders are read rather than published, so that a node that
 * was away for a moment still applies the order it missed.
 */
public final class ProfileOrders {

  /** How long an order and its results stay in Redis. */
  public static final long ORDER_TTL_MILLIS = 10 * 60_000;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ORDER = "magi:cluster:profile";

  /**
   * One order.
   *
   * @param id its id
   * @param profile the profile every node activates
   * @param givenAtMillis when it was given
   */
  public record Order(String id, String profile, long givenAtMillis) {
  }

  private final Supplier<Future<RedisAPI>> redis;

  /** @param redis the connection to use (the cluster membership's) */
  public ProfileOrders(Supplier<Future<RedisAPI>> redis) {
    this.redis = redis;
  }

  /** Gives the order to activate {@code profile} on every node. */
  public Future<Order> give(String profile) {
    Order order = new Order(UUID.randomUUID().toString(), profile, System.currentTimeMillis());
    String encoded;
    try {
      encoded = JSON.writeValueAsString(order);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return Future.failedFuture(e);
    }
    return redis.get().compose(api -> api.set(List.of(ORDER, encoded, "PX", Long.toString(ORDER_TTL_MILLIS))))
        .map(ok -> order);
  }

  /** The order in force; empty when none was given in the last {@link #ORDER_TTL_MILLIS}. */
  public Future<Optional<Order>> current() {
    return redis.get().compose(api -> api.get(ORDER)).map(value -> {
      if (value == null) {
        return Optional.empty();
      }
      try {
        return Optional.of(JSON.readValue(value.toString(), Order.class));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        return Optional.empty();
      }
    });
  }

  /** Writes this node's progress or result of {@code order} (a JSON object). */
  public Future<Void> report(Order order, String nodeId, String resultJson) {
    String key = ORDER + ":" + order.id();
    return redis.get().compose(api -> api.hset(List.of(key, nodeId, resultJson))
        .compose(set -> api.pexpire(List.of(key, Long.toString(ORDER_TTL_MILLIS))))).mapEmpty();
  }

  /** Every node's report of {@code order}, by node id. */
  public Future<Map<String, String>> results(Order order) {
    return redis.get().compose(api -> api.hgetall(ORDER + ":" + order.id())).map(RedisReplies::hash);
  }
}
