package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.GgufWriter;
import dev.magi.testkit.RedisProcess;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/models/profile/activate} with {@code "scope": "cluster"}: two gateways, each with its
 * own models directory and fake llama-server executable, on one private Redis; the order given to one
 * reaches both, and the answer gathers both nodes' results.
 */
class ClusterProfileSwitchTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private String node(RedisProcess redis, String id) throws Exception {
    Path home = dir.resolve(id);
    GgufWriter.chatModel("model-x", 10).write(home.resolve("models/model-x.gguf"));
    return ModelsYaml.models(home, "", 4, "  defaults:\n    context: 512\n    parallel: 1\n")
        + "profiles:\n  everywhere:\n    models:\n      - model: model-x\n"
        + "cluster: {redis_url: \"" + redis.url() + "\", node_id: " + id + ", heartbeat: 200ms, ttl: 2s}\n";
  }

  private static String status(GatewayFixture magi) throws Exception {
    return JSON.readTree(magi.get("/v1/models/model-x").body()).path("status").asText();
  }

  @Test
  void aProfileActivatedForTheClusterReachesEveryNode() throws Exception {
    try (RedisProcess redis = RedisProcess.start(dir.resolve("redis.log"));
        GatewayFixture a = new GatewayFixture(); GatewayFixture b = new GatewayFixture()) {
      a.start(node(redis, "node-a"));
      b.start(node(redis, "node-b"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (JSON.readTree(a.get("/api/cluster").body()).path("nodes").size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals("unloaded", status(b));

      HttpResponse<String> switched = a.post("/api/models/profile/activate",
          "{\"profile_name\":\"everywhere\",\"scope\":\"cluster\"}");
      assertEquals(200, switched.statusCode(), switched.body());
      JsonNode body = JSON.readTree(switched.body());
      assertTrue(body.get("ready").asBoolean(), switched.body());
      assertEquals("ready", body.at("/nodes/node-a/status").asText());
      assertEquals("ready", body.at("/nodes/node-b/status").asText());
      assertEquals("model-x", body.at("/nodes/node-b/started/0").asText());
      assertEquals("loaded", status(a));
      assertEquals("loaded", status(b));

      HttpResponse<String> unknown = a.post("/api/models/profile/activate",
          "{\"profile_name\":\"nowhere\",\"scope\":\"cluster\"}");
      assertEquals(404, unknown.statusCode(), unknown.body());
    }
  }
}
