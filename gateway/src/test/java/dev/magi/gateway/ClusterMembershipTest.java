package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.RedisProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateways on one private Redis: each sees the other and its models; a node that stops leaves at
 * once; Redis going away changes nothing for requests, and the view comes back with it.
 */
class ClusterMembershipTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
      + "\"max_tokens\":2}";

  @TempDir
  Path dir;

  private static String node(RedisProcess redis, String id, String model, String url) {
    return "cluster: {redis_url: \"" + redis.url() + "\", node_id: " + id + ", heartbeat: 200ms, ttl: 1s}\n"
        + Yaml.llama(model, url);
  }

  private static JsonNode cluster(GatewayFixture magi) throws Exception {
    return JSON.readTree(magi.get("/api/cluster").body());
  }

  /** Asks {@code /api/cluster} until {@code wanted} holds, for at most {@code seconds}. */
  private static JsonNode until(GatewayFixture magi, Predicate<JsonNode> wanted, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    JsonNode last = cluster(magi);
    while (!wanted.test(last) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      last = cluster(magi);
    }
    assertTrue(wanted.test(last), "never came: " + last);
    return last;
  }

  private static List<String> ids(JsonNode view) {
    List<String> ids = new ArrayList<>();
    view.path("nodes").forEach(n -> ids.add(n.path("node_id").asText()));
    return ids;
  }

  @Test
  void nodesSeeEachOtherLeaveAtOnceAndOutliveRedis() throws Exception {
    try (RedisProcess redis = RedisProcess.start(dir.resolve("redis.log"));
        GatewayFixture a = new GatewayFixture(); GatewayFixture b = new GatewayFixture()) {
      FakeLlamaServer alpha = a.llama(new FakeLlamaServer.Options().alias("alpha").slots(3));
      FakeLlamaServer beta = b.llama(new FakeLlamaServer.Options().alias("beta"));
      a.start(node(redis, "node-a", "alpha", alpha.url()));
      b.start(node(redis, "node-b", "beta", beta.url()));

      JsonNode seen = until(a, v -> ids(v).equals(List.of("node-a", "node-b")), 10);
      assertEquals("node-a", seen.path("node_id").asText());
      assertTrue(seen.path("redis").path("available").asBoolean());
      JsonNode other = seen.path("nodes").get(1);
      assertFalse(other.path("self").asBoolean());
      assertEquals("beta", other.path("models").get(0).path("id").asText());
      assertEquals("loaded", other.path("models").get(0).path("status").asText());
      assertEquals("http://127.0.0.1:" + b.gateway().port(), other.path("advertise_url").asText());
      JsonNode mine = seen.path("nodes").get(0);
      assertEquals(3, mine.path("total_slots").asInt(), "alpha's slots, from its /props");
      String metrics = MetricsTest.scrape(a);
      assertEquals(2, MetricsTest.value(metrics, "magi_cluster_nodes", Map.of()));
      assertEquals(1, MetricsTest.value(metrics, "magi_redis_available", Map.of()));

      // Redis goes away: requests go on, the last view stays, and it comes back with Redis.
      redis.stop();
      until(a, v -> !v.path("redis").path("available").asBoolean(), 5);
      for (int i = 0; i < 20; i++) {
        assertEquals(200, a.post("/v1/chat/completions", CHAT.formatted("alpha")).statusCode());
      }
      assertEquals(List.of("node-a", "node-b"), ids(cluster(a)), "the last view is kept");
      redis.start();
      until(a, v -> v.path("redis").path("available").asBoolean() && ids(v).equals(List.of("node-a", "node-b")), 10);

      // A node that stops leaves at once: gone well before its record's TTL would end it.
      long stopped = System.nanoTime();
      b.close();
      until(a, v -> ids(v).equals(List.of("node-a")), 5);
      assertTrue(System.nanoTime() - stopped < TimeUnit.SECONDS.toNanos(5));
    }
  }

  @Test
  void withoutRedisConfiguredThereIsNoCluster() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("");
      JsonNode view = cluster(magi);
      assertFalse(view.path("enabled").asBoolean());
      assertEquals(0, view.path("nodes").size());
    }
  }
}
