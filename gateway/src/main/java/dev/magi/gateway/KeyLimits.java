package dev.magi.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.cluster.SharedCounters;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The limits of named keys ({@code auth.keys}): which models a key may use, and its requests and
 * tokens a minute. Rates are counted per minute and read as a sliding window (this minute's count,
 * plus the last minute's weighted by how much of it the window still covers). With a cluster, counts
 * are shared through Redis ({@link SharedCounters}): a decision is a lookup of local state (the
 * cluster's totals as last read, plus what this node counted since), never a call to Redis. While
 * Redis is away, {@code auth.limits_fail: open} goes on counting on this node alone (one warning per
 * outage), {@code closed} refuses the requests of limited keys with 503.
 *
 * <p>Shared by every event loop; thread-safe.
 */
final class KeyLimits {

  private static final Logger LOG = Logger.getLogger(KeyLimits.class.getName());

  private final LongSupplier clockMillis;
  private volatile List<MagiConfig.ClientKey> keys;
  private volatile boolean failOpen;
  /** The cluster's counters; null without a cluster. */
  private volatile SharedCounters shared;
  /** This node's own counts, by minute and field, when there is no cluster (or as the cluster's fallback). */
  private final Map<Long, Map<String, Long>> local = new ConcurrentHashMap<>();
  private volatile boolean warned;

  KeyLimits(MagiConfig config, LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
    reconfigure(config);
  }

  /** Takes the keys and the failure mode of {@code next}; counts go on. */
  void reconfigure(MagiConfig next) {
    keys = next.clientKeys();
    failOpen = next.limitsFailOpen();
  }

  /** Counts over the cluster from now on. */
  void shareThrough(SharedCounters counters) {
    shared = counters;
  }

  /**
   * Admits one request of {@code key} for {@code model}, counting it.
   *
   * @param key the named key the request presented; null for any other (nothing is limited)
   * @throws ApiException 403 {@code model_not_allowed} when the key may not use the model; 429
   *     {@code rate_limit_exceeded} with {@code Retry-After} over its rates; 503 {@code limits_unavailable}
   *     when the cluster's counts cannot be read and {@code auth.limits_fail} is closed
   */
  void admit(MagiConfig.ClientKey key, String model) {
    if (key == null) {
      return;
    }
    if (!key.models().isEmpty() && !key.models().contains(model)) {
      throw new ApiException(403, "permission_error", "model", "model_not_allowed", "The key '" + key.name()
          + "' may not use model '" + model + "'.");
    }
    if (key.rpm() == 0 && key.tpm() == 0) {
      return;
    }
    SharedCounters counters = usable();
    long now = clockMillis.getAsLong();
    long minute = now / 60_000;
    double covered = 1 - (now % 60_000) / 60_000.0;
    if (key.rpm() > 0 && rate(counters, key.name() + ":requests", minute, covered) + 1 > key.rpm()) {
      throw overLimit(key, "requests", key.rpm(), now);
    }
    if (key.tpm() > 0 && rate(counters, key.name() + ":tokens", minute, covered) >= key.tpm()) {
      throw overLimit(key, "tokens", key.tpm(), now);
    }
    add(counters, minute, key.name() + ":requests", 1);
  }

  /** Counts the tokens a request of {@code key} used, once its answer has ended. */
  void tokens(MagiConfig.ClientKey key, long tokens) {
    if (key != null && key.tpm() > 0 && tokens > 0) {
      add(usable(), clockMillis.getAsLong() / 60_000, key.name() + ":tokens", tokens);
    }
  }

  /** {@code GET /api/keys}: every named key, its limits and its rates now (over the cluster when shared). */
  ObjectNode describe() {
    ObjectNode answer = Json.object();
    SharedCounters counters = shared;
    answer.put("shared", counters != null && counters.available());
    ArrayNode list = answer.putArray("keys");
    long now = clockMillis.getAsLong();
    long minute = now / 60_000;
    double covered = 1 - (now % 60_000) / 60_000.0;
    SharedCounters reading = counters != null && counters.available() ? counters : null;
    for (MagiConfig.ClientKey key : keys) {
      ObjectNode entry = list.addObject().put("name", key.name());
      ArrayNode models = entry.putArray("models");
      key.models().forEach(models::add);
      entry.put("rpm", key.rpm()).put("tpm", key.tpm());
      entry.put("requests_per_minute", Math.round(rate(reading, key.name() + ":requests", minute, covered)));
      entry.put("tokens_per_minute", Math.round(rate(reading, key.name() + ":tokens", minute, covered)));
    }
    return answer;
  }

  /** The cluster's counters when they can be used; null to count on this node alone. */
  private SharedCounters usable() {
    SharedCounters counters = shared;
    if (counters == null) {
      return null;
    }
    if (counters.available()) {
      warned = false;
      return counters;
    }
    if (!failOpen) {
      throw ApiException.retryable("limits_unavailable", "This key's limits are counted over the cluster, whose"
          + " counts cannot be read now; try again shortly.");
    }
    if (!warned) {
      warned = true;
      LOG.warning("limits: the cluster's counts cannot be read; keys' rates are counted on this node alone"
          + " (auth.limits_fail: open)");
    }
    return null;
  }

  /** The sliding window's count: this minute's, and the last one's share the window still covers. */
  private double rate(SharedCounters counters, String field, long minute, double covered) {
    return count(counters, minute, field) + count(counters, minute - 1, field) * covered;
  }

  private long count(SharedCounters counters, long minute, String field) {
    long here = local.getOrDefault(minute, Map.of()).getOrDefault(field, 0L);
    return counters == null ? here : Math.max(here, counters.count(minute, field));
  }

  private void add(SharedCounters counters, long minute, String field, long amount) {
    if (!local.containsKey(minute)) {
      local.keySet().removeIf(old -> old < minute - 1);
    }
    local.computeIfAbsent(minute, m -> new ConcurrentHashMap<>()).merge(field, amount, Long::sum);
    if (counters != null) {
      counters.add(minute, field, amount);
    } else if (shared != null) {
      // Redis is away: counted here, and sent to the cluster once it answers.
      shared.add(minute, field, amount);
    }
  }

  /** 429 with the seconds until the window has moved on enough ({@code Retry-After}, at least 1). */
  private static ApiException overLimit(MagiConfig.ClientKey key, String what, long limit, long now) {
    long retry = Math.max(1, (60_000 - now % 60_000 + 999) / 1000);
    return new ApiException(429, "rate_limit_error", null, "rate_limit_exceeded", "The key '" + key.name()
        + "' is over its limit of " + limit + " " + what + " a minute; try again in " + retry + " s.",
        Map.of("Retry-After", Long.toString(retry), "retry-after-ms", Long.toString(retry * 1000)));
  }
}
