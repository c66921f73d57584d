package dev.magi.cluster;

import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Who loads a cold model: a lock per model in Redis ({@code magi:cluster:load:<model>}, taken with
 * {@code SET NX PX}, holding the node's id), so that two nodes asked for the same cold model at once
 * load it once; the other waits for it to appear on the holder and forwards there. A lock outlives a
 * node that dies while loading by its expiry only.
 */
public final class LoadLocks {

  private static final String PREFIX = "magi:cluster:load:";
  /** Deletes the lock only when this node still holds it. */
  private static final String RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then"
      + " return redis.call('DEL', KEYS[1]) else return 0 end";

  private final Supplier<Future<RedisAPI>> redis;
  private final String nodeId;

  /** @param redis the connection to use (the cluster membership's) */
  public LoadLocks(Supplier<Future<RedisAPI>> redis, String nodeId) {
    this.redis = redis;
    this.nodeId = nodeId;
  }

  /**
   * Takes the lock of {@code model} for at most {@code holdMillis}.
   *
   * @return empty when this node holds it now; else the node that does
   */
  public Future<Optional<String>> take(String model, long holdMillis) {
    String key = PREFIX + model;
    return redis.get().compose(api -> api.set(List.of(key, nodeId, "NX", "PX", Long.toString(holdMillis)))
        .compose(set -> set != null && "OK".equals(set.toString()) ? Future.succeededFuture(Optional.<String>empty())
            : api.get(key).map(holder -> holder == null || holder.toString().equals(nodeId)
                ? Optional.<String>empty() : Optional.of(holder.toString()))));
  }

  /** Lets go of the lock of {@code model}, if this node holds it. */
  public Future<Void> release(String model) {
    return redis.get().compose(api -> api.eval(List.of(RELEASE, "1", PREFIX + model, nodeId))).mapEmpty();
  }
}
