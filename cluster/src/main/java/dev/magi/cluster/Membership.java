package dev.magi.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * This node's membership of the cluster: every heartbeat it writes its record to Redis with a TTL
 * and reads every live record, so that a node that stops writing (killed, cut off) is gone from every
 * view within the TTL, and one that leaves cleanly ({@link #leave}) is gone at once.
 *
 * <p>Redis keeps, besides each record ({@code magi:cluster:node:<id>}, expiring), a sorted set of node
 * ids by expiry time ({@code magi:cluster:nodes}), so the live ones are read with one range and one
 * {@code MGET}, never with {@code KEYS}.
 *
 * <p>Redis being away or slow never stops this node: every heartbeat is bounded by the heartbeat
 * interval, the last view is kept (with {@link ClusterView#redisAvailable} false), one warning is
 * logged per outage, and the next heartbeat that gets through brings the view up to date. Runs on one
 * context; {@link #view()} may be read from any thread.
 */
public final class Membership {

  private static final Logger LOG = Logger.getLogger(Membership.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String NODES = "magi:cluster:nodes";
  static final String NODE_PREFIX = "magi:cluster:node:";

  private final Vertx vertx;
  /** Where the heartbeats run and the connection is touched. */
  private final io.vertx.core.Context context;
  private final ClusterSettings settings;
  private final Supplier<NodeRecord> self;
  private final Redis client;
  /** The one connection heartbeats use, with handlers of this class's own; null until (re)connected. */
  private io.vertx.redis.client.RedisConnection connection;
  private volatile ClusterView view = ClusterView.EMPTY;
  private final java.util.function.Consumer<ClusterView> seen;
  private long timer = -1;
  private boolean beating;
  private boolean left;
  private boolean warned;

  /**
   * @param self what this node advertises now (asked at every heartbeat; its write time is set here)
   */
  public Membership(Vertx vertx, ClusterSettings settings, Supplier<NodeRecord> self) {
    this(vertx, settings, self, view -> {
    });
  }

  /**
   * @param self what this node advertises now (asked at every heartbeat; its write time is set here)
   * @param seen told each view read from Redis (not the kept ones while Redis is away)
   */
  public Membership(Vertx vertx, ClusterSettings settings, Supplier<NodeRecord> self,
      java.util.function.Consumer<ClusterView> seen) {
    this.seen = seen;
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.settings = settings;
    this.self = self;
    this.client = Redis.createClient(vertx, new RedisOptions().setConnectionString(settings.redisUrl())
        .setMaxPoolSize(2).setMaxPoolWaiting(16).setMaxWaitingHandlers(64));
  }

  /** Starts the heartbeats; the first runs at once. Never fails: Redis may come later. */
  public void start() {
    context.runOnContext(begin -> {
      beat();
      timer = vertx.setPeriodic(settings.heartbeat().toMillis(), id -> beat());
    });
  }

  /** The cluster as last seen. */
  public ClusterView view() {
    return view;
  }

  /**
   * Leaves the cluster: the heartbeats stop and this node's record is deleted, so the others drop it
   * at their next heartbeat rather than after the TTL. Bounded by the heartbeat interval.
   */
  public Future<Void> leave() {
    if (left) {
      return Future.succeededFuture();
    }
    left = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    String id = settings.nodeId();
    return api().compose(redis -> redis.del(List.of(NODE_PREFIX + id)).compose(deleted -> redis.zrem(List.of(NODES, id))))
        .timeout(settings.heartbeat().toMillis(), TimeUnit.MILLISECONDS)
        .<Void>mapEmpty()
        .recover(failure -> {
          LOG.warning(() -> "cluster: could not remove this node's record (" + failure.getMessage()
              + "); the others drop it within " + settings.ttl().toSeconds() + " s");
          return Future.succeededFuture();
        })
        .eventually(() -> {
          client.close();
          return Future.succeededFuture();
        });
  }

  private void beat() {
    if (beating || left) {
      return;
    }
    beating = true;
    long now = System.currentTimeMillis();
    NodeRecord mine = self.get().writtenAt(now);
    String encoded;
    try {
      encoded = JSON.writeValueAsString(mine);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    long ttl = settings.ttl().toMillis();
    String id = settings.nodeId();
    Future<List<NodeRecord>> read = api().compose(redis -> redis.set(List.of(NODE_PREFIX + id, encoded, "PX",
            Long.toString(ttl)))
        .compose(ok -> redis.zadd(List.of(NODES, Long.toString(now + ttl), id)))
        .compose(ok -> redis.zremrangebyscore(NODES, "-inf", Long.toString(now)))
        .compose(ok -> redis.zrange(List.of(NODES, "0", "-1")))
        .compose(ids -> {
          List<String> keys = new ArrayList<>();
          ids.forEach(member -> keys.add(NODE_PREFIX + member.toString()));
          return keys.isEmpty() ? Future.succeededFuture(List.<NodeRecord>of()) : redis.mget(keys).map(Membership::records);
        }));
    read.timeout(Math.max(100, settings.heartbeat().toMillis()), TimeUnit.MILLISECONDS).onComplete(done -> {
      beating = false;
      if (left) {
        return;
      }
      if (done.succeeded()) {
        if (warned) {
          LOG.info("cluster: Redis answers again; " + done.result().size() + " nodes");
          warned = false;
        }
        view = new ClusterView(done.result(), true, System.currentTimeMillis());
        seen.accept(view);
      } else {
        if (!warned) {
          LOG.warning("cluster: Redis at " + redacted(settings.redisUrl()) + " is unavailable ("
              + done.cause().getMessage() + "); routing goes on with the last view of the cluster");
          warned = true;
        }
        ClusterView last = view;
        view = new ClusterView(last.nodes(), false, last.lastSeenMillis());
        if (connection != null) {
          drop(connection);
        }
      }
    });
  }

  /**
   * The connection's API, connecting first when there is none. A connection that fails or closes is
   * dropped by its own handlers (instead of the client's default, which logs every reset as an
   * unhandled error), and the next heartbeat connects again.
   */
  /**
   * The held Redis connection's API, connecting when there is none: for other users of this node's
   * Redis. Taken on the membership's own context, which alone touches the connection.
   */
  public Future<RedisAPI> redis() {
    io.vertx.core.Promise<RedisAPI> taken = io.vertx.core.Promise.promise();
    context.runOnContext(now -> api().onComplete(taken));
    return taken.future();
  }

  private Future<RedisAPI> api() {
    io.vertx.redis.client.RedisConnection held = connection;
    if (held != null) {
      return Future.succeededFuture(RedisAPI.api(held));
    }
    return client.connect().map(opened -> {
      connection = opened;
      opened.exceptionHandler(failure -> drop(opened));
      opened.endHandler(ended -> drop(opened));
      return RedisAPI.api(opened);
    });
  }

  private void drop(io.vertx.redis.client.RedisConnection failed) {
    if (connection == failed) {
      connection = null;
      failed.close();
    }
  }

  private static List<NodeRecord> records(Response values) {
    List<NodeRecord> nodes = new ArrayList<>();
    if (values == null) {
      return nodes;
    }
    for (Response value : values) {
      if (value == null) {
        continue;
      }
      try {
        nodes.add(JSON.readValue(value.toString(), NodeRecord.class));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        LOG.fine(() -> "cluster: a node record that is not one: " + e.getMessage());
      }
    }
    nodes.sort(Comparator.comparing(NodeRecord::nodeId));
    return nodes;
  }

  /** A Redis URL for the log, without its password. */
  static String redacted(String url) {
    return url.replaceAll("//([^@/]*)@", "//***@");
  }
}
