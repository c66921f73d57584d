package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.RedisProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key's limit held by two gateways together through one private Redis; and, while Redis is away,
 * each node counting on its own ({@code auth.limits_fail: open}).
 */
class SharedLimitsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHAT = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
      + "\"max_tokens\":2}";

  @TempDir
  Path dir;

  private static String node(RedisProcess redis, String id, String url) {
    return "cluster: {redis_url: \"" + redis.url() + "\", node_id: " + id + ", heartbeat: 200ms, ttl: 2s}\n"
        + "auth:\n  keys:\n    - {name: team, key: sk-team, rpm: 4}\n" + Yaml.llama("tiny", url);
  }

  private static HttpResponse<String> chat(GatewayFixture magi) {
    return GatewayFixture.send(HttpRequest.newBuilder(URI.create(magi.url() + "/v1/chat/completions"))
        .header("Content-Type", "application/json").header("Authorization", "Bearer sk-team")
        .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build());
  }

  private static JsonNode keys(GatewayFixture magi) throws Exception {
    return JSON.readTree(magi.get("/api/keys").body());
  }

  /** Asks {@code /api/keys} until {@code wanted} holds, at most 10 s. */
  private static void until(GatewayFixture magi, Predicate<JsonNode> wanted) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    JsonNode last = keys(magi);
    while (!wanted.test(last) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      last = keys(magi);
    }
    assertTrue(wanted.test(last), "never came: " + last);
  }

  @Test
  void aKeysLimitIsHeldByTwoGatewaysTogether() throws Exception {
    try (RedisProcess redis = RedisProcess.start(dir.resolve("redis.log"));
        GatewayFixture a = new GatewayFixture(); GatewayFixture b = new GatewayFixture()) {
      FakeLlamaServer llamaA = a.llama(new FakeLlamaServer.Options().alias("tiny"));
      FakeLlamaServer llamaB = b.llama(new FakeLlamaServer.Options().alias("tiny"));
      a.start(node(redis, "node-a", llamaA.url()));
      b.start(node(redis, "node-b", llamaB.url()));
      until(a, k -> k.get("shared").asBoolean());
      until(b, k -> k.get("shared").asBoolean());

      assertEquals(200, chat(a).statusCode());
      assertEquals(200, chat(a).statusCode());
      assertEquals(200, chat(b).statusCode());
      assertEquals(200, chat(b).statusCode());
      until(a, k -> k.at("/keys/0/requests_per_minute").asInt() == 4);

      HttpResponse<String> over = chat(a);
      assertEquals(429, over.statusCode(), "two on each node, four together: " + over.body());
      assertEquals("rate_limit_exceeded", JSON.readTree(over.body()).at("/error/code").asText());
      assertTrue(over.headers().firstValue("Retry-After").isPresent());
      until(b, k -> k.at("/keys/0/requests_per_minute").asInt() == 4);
      assertEquals(429, chat(b).statusCode());

      redis.stop();
      until(a, k -> !k.get("shared").asBoolean());
      // Counted on this node alone while Redis is away: a's own two requests of this minute.
      assertEquals(2, keys(a).at("/keys/0/requests_per_minute").asInt());
    }
  }
}
