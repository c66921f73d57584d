package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.GgufWriter;
import dev.magi.testkit.RedisProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cold models in a cluster of three on one private Redis: A and B have the same model files, C has
 * none. C's request for a cold model is sent to a node that can load it; A and B asked at once for
 * the same cold model load it once, the other serving its request through the one that loads.
 */
class ClusterPlacementTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();
  private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
      + "\"max_tokens\":2}";

  @TempDir
  Path dir;

  private String node(RedisProcess redis, String id, boolean withModels) throws Exception {
    Path home = dir.resolve(id);
    if (withModels) {
      GgufWriter.chatModel("model-x", 10).write(home.resolve("models/model-x.gguf"));
      GgufWriter.chatModel("model-y", 10).write(home.resolve("models/model-y.gguf"));
    }
    return ModelsYaml.models(home, "load_ms=700", 4, "  defaults:\n    context: 512\n    parallel: 2\n")
        + "cluster: {redis_url: \"" + redis.url() + "\", node_id: " + id + ", heartbeat: 200ms, ttl: 2s,"
        + " secret: cluster-secret-0123456789}\n";
  }

  private static CompletableFuture<HttpResponse<String>> chat(GatewayFixture magi, String model) {
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(magi.url() + "/v1/chat/completions"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(String.format(CHAT, model)))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Servers of {@code model} running on {@code magi} itself. */
  private static int servers(GatewayFixture magi, String model) throws Exception {
    int count = 0;
    for (JsonNode server : JSON.readTree(magi.get("/api/models/servers").body()).path("servers")) {
      if (server.path("model").asText().equals(model)) {
        count++;
      }
    }
    return count;
  }

  @Test
  void coldModelsAreLoadedOnceAndWhereTheyCanBe() throws Exception {
    try (RedisProcess redis = RedisProcess.start(dir.resolve("redis.log"));
        GatewayFixture a = new GatewayFixture(); GatewayFixture b = new GatewayFixture();
        GatewayFixture c = new GatewayFixture()) {
      a.start(node(redis, "node-a", true));
      b.start(node(redis, "node-b", true));
      c.start(node(redis, "node-c", false));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (System.nanoTime() < deadline && (JSON.readTree(c.get("/api/cluster").body()).path("nodes").size() < 3
          || c.gateway().directory().routes().resolve("model-x").isEmpty())) {
        Thread.sleep(50);
      }

      HttpResponse<String> viaC = chat(c, "model-x").get(60, TimeUnit.SECONDS);
      assertEquals(200, viaC.statusCode(), "C has no file: sent to a node that can load it: " + viaC.body());
      assertEquals(1, servers(a, "model-x") + servers(b, "model-x"), "loaded on one node");
      assertEquals(0, servers(c, "model-x"));

      CompletableFuture<HttpResponse<String>> atA = chat(a, "model-y");
      CompletableFuture<HttpResponse<String>> atB = chat(b, "model-y");
      assertEquals(200, atA.get(60, TimeUnit.SECONDS).statusCode(), atA.get().body());
      assertEquals(200, atB.get(60, TimeUnit.SECONDS).statusCode(), atB.get().body());
      assertEquals(1, servers(a, "model-y") + servers(b, "model-y"), "asked on both at once, loaded once");
    }
  }
}
