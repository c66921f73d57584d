package dev.magi.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Counters per name and per minute that every node of the cluster adds to, in Redis: what rates are
 * limited with across nodes. A node adds to its own counts at once (a lookup of local state, on any
 * thread), and every {@code every} sends what it added since in one script and reads the cluster's
 * totals of this minute and the last one back; {@link #count} is the last totals read plus what this
 * node added since. While Redis is away, the totals stop moving and what this node adds waits to be
 * sent; {@link #available()} says so.
 *
 * <p>Redis keeps one hash a minute ({@code magi:limits:<minute>}, fields {@code <name>:<counter>}),
 * expiring three minutes after its last write.
 */
public final class SharedCounters {

  private static final Logger LOG = Logger.getLogger(SharedCounters.class.getName());
  private static final String PREFIX = "magi:limits:";

  /**
   * Adds each (field, amount) of ARGV to the hash of KEYS[1] or KEYS[2] (ARGV after the count: which,
   * field, amount), keeps both hashes three minutes, and returns both.
   */
  private static final String SCRIPT = "local n = tonumber(ARGV[1])\n"
      + "for i = 0, n - 1 do\n"
      + "  local key = KEYS[tonumber(ARGV[2 + i * 3])]\n"
      + "  redis.call('HINCRBY', key, ARGV[3 + i * 3], ARGV[4 + i * 3])\n"
      + "  redis.call('PEXPIRE', key, 180000)\n"
      + "end\n"
      + "return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}";

  private final Vertx vertx;
  private final Supplier<Future<RedisAPI>> redis;
  private final long everyMillis;
  /** Added here and not yet sent, by minute and field. */
  private final Map<Long, Map<String, Long>> unsent = new HashMap<>();
  /** Added here and sent, by minute and field, until the totals read back include it. */
  private final Map<Long, Map<String, Long>> inFlight = new HashMap<>();
  /** The cluster's totals last read, by minute and field. */
  private volatile Map<Long, Map<String, Long>> totals = Map.of();
  private volatile boolean available;
  private boolean syncing;
  private long timer = -1;

  /**
   * @param redis the connection to use (the cluster membership's)
   * @param everyMillis how often counts are sent and totals read
   */
  public SharedCounters(Vertx vertx, Supplier<Future<RedisAPI>> redis, long everyMillis) {
    this.vertx = vertx;
    this.redis = redis;
    this.everyMillis = everyMillis;
  }

  /** Starts sending and reading every {@code everyMillis}. */
  public void start() {
    timer = vertx.setPeriodic(everyMillis, everyMillis, id -> sync());
  }

  /** Stops the syncs; what was not sent is lost. */
  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Whether the last sync reached Redis. */
  public boolean available() {
    return available;
  }

  /** Adds {@code amount} to {@code field} of {@code minute} (minutes since the epoch). */
  public synchronized void add(long minute, String field, long amount) {
    if (amount != 0) {
      unsent.computeIfAbsent(minute, m -> new HashMap<>()).merge(field, amount, Long::sum);
    }
  }

  /** The cluster's count of {@code field} in {@code minute}: the last totals read plus what this node added since. */
  public synchronized long count(long minute, String field) {
    long total = totals.getOrDefault(minute, Map.of()).getOrDefault(field, 0L);
    total += unsent.getOrDefault(minute, Map.of()).getOrDefault(field, 0L);
    total += inFlight.getOrDefault(minute, Map.of()).getOrDefault(field, 0L);
    return total;
  }

  /** Sends what was added and reads the totals of this minute and the last one. */
  public void sync() {
    long minute = System.currentTimeMillis() / 60_000;
    List<String> args = new ArrayList<>();
    synchronized (this) {
      if (syncing) {
        return;
      }
      syncing = true;
      unsent.keySet().removeIf(m -> m < minute - 1);
      int n = 0;
      args.add("");
      for (Map.Entry<Long, Map<String, Long>> byMinute : unsent.entrySet()) {
        String which = byMinute.getKey() == minute ? "1" : "2";
        for (Map.Entry<String, Long> field : byMinute.getValue().entrySet()) {
          args.add(which);
          args.add(field.getKey());
          args.add(Long.toString(field.getValue()));
          n++;
        }
      }
      args.set(0, Integer.toString(n));
      inFlight.clear();
      unsent.forEach((m, fields) -> inFlight.put(m, new HashMap<>(fields)));
      unsent.clear();
    }
    List<String> call = new ArrayList<>(List.of(SCRIPT, "2", PREFIX + minute, PREFIX + (minute - 1)));
    call.addAll(args);
    redis.get().compose(api -> api.eval(call))
        .timeout(Math.max(100, everyMillis), TimeUnit.MILLISECONDS)
        .onComplete(done -> {
          synchronized (this) {
            syncing = false;
            if (done.succeeded()) {
              Map<Long, Map<String, Long>> read = new HashMap<>();
              read.put(minute, fields(done.result().get(0)));
              read.put(minute - 1, fields(done.result().get(1)));
              totals = read;
              inFlight.clear();
            } else {
              // Not sent: it is sent with the next sync.
              inFlight.forEach((m, fields) -> fields.forEach((field, amount) ->
                  unsent.computeIfAbsent(m, k -> new HashMap<>()).merge(field, amount, Long::sum)));
              inFlight.clear();
            }
          }
          if (done.succeeded() != available) {
            available = done.succeeded();
            if (!available) {
              LOG.warning("limits: Redis is unavailable (" + done.cause().getMessage() + "); rates are counted on"
                  + " this node until it answers again");
            } else {
              LOG.info("limits: Redis answers again; rates are counted over the cluster");
            }
          }
        });
  }

  /** A minute's hash of counts. */
  private static Map<String, Long> fields(Response hash) {
    Map<String, Long> fields = new HashMap<>();
    RedisReplies.hash(hash).forEach((field, count) -> fields.put(field, Long.parseLong(count)));
    return fields;
  }

}
