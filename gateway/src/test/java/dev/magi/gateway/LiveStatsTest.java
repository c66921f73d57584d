package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Live figures per model: a window of buckets with a clock the test moves, and {@code GET /api/stats}. */
class LiveStatsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void figuresOverTheWindowAndSeriesByBucket() {
    AtomicLong now = new AtomicLong(1_000_000_000_000L);
    LiveStats stats = new LiveStats(now::get);
    for (int i = 1; i <= 100; i++) {
      stats.add("m", false, i, i + 100, 50, i / 10.0);
    }
    stats.add("m", true, -1, 5, -1, -1);
    JsonNode m = stats.snapshot(60).at("/models/m");
    assertEquals(101, m.get("requests").asInt());
    assertEquals(1, m.get("errors").asInt());
    assertEquals(51.0, m.get("ttft_p50_ms").asDouble());
    assertEquals(100.0, m.get("ttft_p99_ms").asDouble());
    assertEquals(500.0, m.get("tokens_per_second").asDouble(), "50 tokens in 100 ms each");
    assertEquals(LiveStats.BUCKETS, m.get("series").size());
    JsonNode gateway = stats.snapshot(60).get("gateway");
    assertEquals(5.1, gateway.get("overhead_p50_ms").asDouble(), "the time spent in Magi, over every model");
    assertEquals(10.0, gateway.get("overhead_p99_ms").asDouble());

    now.addAndGet(120_000);
    stats.add("m", false, 7, 8, 1, 0.5);
    JsonNode later = stats.snapshot(60).at("/models/m");
    assertEquals(1, later.get("requests").asInt(), "two minutes on, the window holds the new one only");
    assertEquals(101, later.get("series").get(LiveStats.BUCKETS - 13).get("requests").asInt(),
        "the series still shows the old bucket: " + later.get("series"));

    now.addAndGet(LiveStats.BUCKET_MILLIS * LiveStats.BUCKETS);
    assertFalse(stats.snapshot(60).get("models").has("m"), "gone once out of every bucket");
  }

  @Test
  void theEndpointAnswersForEveryModelAsked() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
      magi.start("backends:\n  - model: tiny\n    url: " + llama.url() + "\n");
      for (int i = 0; i < 3; i++) {
        magi.post("/v1/chat/completions", "{\"model\":\"tiny\",\"max_tokens\":4,\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
      }
      JsonNode stats = JSON.readTree(magi.get("/api/stats?window=30").body());
      assertEquals(3, stats.at("/models/tiny/requests").asInt(), stats.toString());
      assertTrue(stats.at("/models/tiny/ttft_p50_ms").asDouble() >= 0);
      assertTrue(stats.at("/gateway/heap_used_bytes").asLong() > 0);
      assertTrue(stats.at("/gateway/overhead_p50_ms").asDouble() >= 0, stats.toString());
      assertTrue(stats.at("/gateway/overhead_p99_ms").isNumber(), stats.toString());
      assertEquals(400, magi.get("/api/stats?window=5").statusCode());
    }
  }
}
