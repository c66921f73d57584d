package dev.magi.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.Json;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Live figures per model over the last minutes, for {@code GET /api/stats} (and the console's small
 * charts): requests, errors, time to first token, completion tokens and the time spent in Magi itself, in buckets of
 * {@link #BUCKET_MILLIS} over the last {@link #BUCKETS} of them. Percentiles come from a sample of each
 * bucket's times to first token (at most {@link #SAMPLES}, kept uniformly), so memory stays bounded
 * whatever the rate. Fed when each request to a model ends; shared by every event loop (adding holds a
 * lock for a few array writes).
 */
final class LiveStats {

  static final long BUCKET_MILLIS = 10_000;
  static final int BUCKETS = 30;
  static final int SAMPLES = 256;

  private final LongSupplier clockMillis;
  /** Bucket {@code i} holds the figures of period {@code periods[i]} (epoch millis / BUCKET_MILLIS). */
  private final long[] periods = new long[BUCKETS];
  @SuppressWarnings("unchecked")
  private final Map<String, Figures>[] buckets = new Map[BUCKETS];

  /** A uniform sample of at most {@link #SAMPLES} observations, in milliseconds. */
  private static final class Sample {
    final double[] values = new double[SAMPLES];
    int seen;

    void add(double millis) {
      if (seen < SAMPLES) {
        values[seen] = millis;
      } else {
        int slot = ThreadLocalRandom.current().nextInt(seen + 1);
        if (slot < SAMPLES) {
          values[slot] = millis;
        }
      }
      seen++;
    }

    /** Adds {@code other}'s kept observations as observations of this sample's own. */
    void addAll(Sample other) {
      int kept = Math.min(other.seen, SAMPLES);
      for (int i = 0; i < kept; i++) {
        add(other.values[i]);
      }
    }

    double percentile(double quantile) {
      int kept = Math.min(seen, SAMPLES);
      double[] sorted = Arrays.copyOf(values, kept);
      Arrays.sort(sorted);
      return round(sorted[(int) Math.min(kept - 1, Math.floor(quantile * kept))]);
    }
  }

  /** One model's figures in one bucket. */
  private static final class Figures {
    long requests;
    long errors;
    long completionTokens;
    long generationMillis;
    final Sample ttft = new Sample();
    /** The time these requests spent in Magi itself. */
    final Sample overhead = new Sample();
  }

  LiveStats(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
    Arrays.fill(periods, -1);
  }

  /**
   * Counts one request to {@code model} that ended now.
   *
   * @param ttftMillis until its first event, -1 when none came
   * @param durationMillis until its end
   * @param completionTokens its completion tokens, -1 when unknown
   * @param overheadMillis the time it spent in Magi itself (received → upstream write, and upstream event →
   *     client write), -1 when unknown
   */
  synchronized void add(String model, boolean failed, double ttftMillis, double durationMillis, long completionTokens,
      double overheadMillis) {
    if (model == null) {
      return;
    }
    long period = clockMillis.getAsLong() / BUCKET_MILLIS;
    int slot = (int) (period % BUCKETS);
    if (periods[slot] != period) {
      periods[slot] = period;
      buckets[slot] = new HashMap<>();
    }
    Figures figures = buckets[slot].computeIfAbsent(model, m -> new Figures());
    figures.requests++;
    if (failed) {
      figures.errors++;
    }
    if (overheadMillis >= 0) {
      figures.overhead.add(overheadMillis);
    }
    if (ttftMillis >= 0) {
      figures.ttft.add(ttftMillis);
      if (completionTokens > 0) {
        figures.completionTokens += completionTokens;
        figures.generationMillis += Math.max(1, Math.round(durationMillis - ttftMillis));
      }
    }
  }

  /**
   * Each model's figures over the last {@code windowSeconds} (rounded to whole buckets), and its series
   * by bucket over the last {@link #BUCKETS} buckets, oldest first.
   */
  synchronized ObjectNode snapshot(int windowSeconds) {
    long now = clockMillis.getAsLong() / BUCKET_MILLIS;
    int window = (int) Math.max(1, Math.min(BUCKETS, windowSeconds * 1000L / BUCKET_MILLIS));
    Map<String, Figures> total = new TreeMap<>();
    Map<String, ArrayNode> series = new TreeMap<>();
    for (long period = now - BUCKETS + 1; period <= now; period++) {
      int slot = (int) (period % BUCKETS);
      if (periods[slot] == period) {
        buckets[slot].keySet().forEach(model -> series.computeIfAbsent(model, m -> Json.array()));
      }
    }
    for (long period = now - BUCKETS + 1; period <= now; period++) {
      int slot = (int) (period % BUCKETS);
      Map<String, Figures> bucket = periods[slot] == period ? buckets[slot] : Map.of();
      if (period > now - window) {
        bucket.forEach((model, figures) -> merge(total.computeIfAbsent(model, m -> new Figures()), figures));
      }
      long at = period * BUCKET_MILLIS;
      for (String model : series.keySet()) {
        Figures figures = bucket.get(model);
        ObjectNode point = series.get(model).addObject().put("t", at);
        point.put("requests", figures == null ? 0 : figures.requests)
            .put("errors", figures == null ? 0 : figures.errors);
        if (figures != null && figures.ttft.seen > 0) {
          point.put("ttft_p50_ms", figures.ttft.percentile(0.5));
        }
      }
    }
    ObjectNode answer = Json.object().put("window_seconds", window * BUCKET_MILLIS / 1000)
        .put("bucket_seconds", BUCKET_MILLIS / 1000);
    ObjectNode models = answer.putObject("models");
    double seconds = window * BUCKET_MILLIS / 1000.0;
    Sample overhead = new Sample();
    total.values().forEach(figures -> overhead.addAll(figures.overhead));
    ObjectNode gateway = answer.putObject("gateway");
    if (overhead.seen > 0) {
      gateway.put("overhead_p50_ms", overhead.percentile(0.5)).put("overhead_p99_ms", overhead.percentile(0.99));
    }
    series.forEach((model, points) -> {
      Figures figures = total.getOrDefault(model, new Figures());
      ObjectNode json = models.putObject(model);
      json.put("requests", figures.requests).put("requests_per_second", round(figures.requests / seconds))
          .put("errors", figures.errors);
      if (figures.ttft.seen > 0) {
        json.put("ttft_p50_ms", figures.ttft.percentile(0.5)).put("ttft_p99_ms", figures.ttft.percentile(0.99));
      }
      if (figures.generationMillis > 0) {
        json.put("tokens_per_second", round(figures.completionTokens * 1000.0 / figures.generationMillis));
      }
      json.set("series", points);
    });
    return answer;
  }

  /** Adds {@code from} into {@code into}; its samples are added to {@code into}'s as observations of their own. */
  private static void merge(Figures into, Figures from) {
    into.requests += from.requests;
    into.errors += from.errors;
    into.completionTokens += from.completionTokens;
    into.generationMillis += from.generationMillis;
    into.ttft.addAll(from.ttft);
    into.overhead.addAll(from.overhead);
  }

  private static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }
}
