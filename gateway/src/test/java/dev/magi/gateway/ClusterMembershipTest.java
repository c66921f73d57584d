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

  /** Waits, at most 10 s, until {@code magi}'s routes satisfy {@code wanted}. */
  private static void routesUntil(GatewayFixture magi, Predicate<dev.magi.router.RouteTable> wanted)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!wanted.test(magi.gateway().directory().routes()) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(wanted.test(magi.gateway().directory().routes()), "the routes never came to be");
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

  private static final String SECRET = "cluster-secret-0123456789";

  private static String member(RedisProcess redis, String id, String backends) {
    return "cluster: {redis_url: \"" + redis.url() + "\", node_id: " + id + ", heartbeat: 200ms, ttl: 1s, secret: "
        + SECRET + "}\n" + backends;
  }

  private static java.net.http.HttpResponse<String> chat(GatewayFixture magi, String model, boolean forwarded,
      String key) {
    java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(magi.url() + "/v1/chat/completions")).header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(CHAT.formatted(model)));
    if (forwarded) {
      request.header("X-Magi-Forwarded", "1");
    }
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    return GatewayFixture.send(request.build());
  }

  @Test
  void aGatewayWithNoModelsServesEveryNodesModelsOneHopAtMost() throws Exception {
    try (RedisProcess redis = RedisProcess.start(dir.resolve("redis.log"));
        GatewayFixture a = new GatewayFixture(); GatewayFixture b = new GatewayFixture();
        GatewayFixture c = new GatewayFixture()) {
      FakeLlamaServer alpha = a.llama(new FakeLlamaServer.Options().alias("alpha"));
      FakeLlamaServer beta = b.llama(new FakeLlamaServer.Options().alias("beta"));
      a.start(member(redis, "node-a", Yaml.llama("alpha", alpha.url())));
      b.start(member(redis, "node-b", Yaml.llama("beta", beta.url())));
      c.start(member(redis, "node-c", "health: {interval: 200ms}\n"));
      until(c, v -> ids(v).equals(List.of("node-a", "node-b", "node-c")), 10);
      routesUntil(c, routes -> routes.resolve("alpha").isPresent() && routes.resolve("beta").isPresent());

      // C has no backend of its own: each model is served by the node that has it.
      java.net.http.HttpResponse<String> viaC = chat(c, "alpha", false, null);
      assertEquals(200, viaC.statusCode(), viaC.body());
      assertTrue(viaC.body().contains("\"model\":\"alpha\""), viaC.body());
      dev.magi.testkit.RecordedRequest atA = alpha.lastRequest("/v1/chat/completions");
      assertEquals(viaC.headers().firstValue("x-request-id").orElseThrow(), atA.headers().get("X-Request-Id"),
          "the request id travels with it");
      assertEquals(200, chat(c, "beta", false, null).statusCode());
      assertEquals(1, MetricsTest.value(MetricsTest.scrape(c), "magi_cluster_forwarded_total",
          Map.of("model", "alpha", "node", "http://127.0.0.1:" + a.gateway().port())));
      assertEquals(1, beta.requests().stream().filter(r -> r.path().equals("/v1/chat/completions")).count());
      // C does not advertise what it only reaches through others.
      JsonNode seenByA = cluster(a);
      for (JsonNode node : seenByA.path("nodes")) {
        if (node.path("node_id").asText().equals("node-c")) {
          assertEquals(0, node.path("models").size(), node.toString());
        }
      }

      // One hop at most: a forwarded request (proven by the secret) is served from local backends only.
      // (A must have read B's record first, or beta is simply unknown to it.)
      routesUntil(a, routes -> routes.resolve("beta").isPresent());
      assertEquals(503, chat(a, "beta", true, SECRET).statusCode(), "A would have to forward it again");
      assertEquals(200, chat(a, "beta", true, null).statusCode(), "the header alone, without the secret, is no proof");

      // A leaves: C stops routing to it.
      a.close();
      routesUntil(c, routes -> routes.resolve("alpha").isEmpty());
      assertEquals(404, chat(c, "alpha", false, null).statusCode());
      assertEquals(200, chat(c, "beta", false, null).statusCode());
    }
  }

  @Test
  void theSecretIsAnApiKeyWhereKeysAreRequiredAndRequiresNoneWhereTheyAreNot() throws Exception {
    try (GatewayFixture guarded = new GatewayFixture(); GatewayFixture open = new GatewayFixture()) {
      FakeLlamaServer one = guarded.llama(new FakeLlamaServer.Options().alias("one"));
      guarded.start("auth: {api_keys: [user-key-1]}\ncluster: {secret: " + SECRET + "}\n" + Yaml.llama("one", one.url()));
      assertEquals(200, chat(guarded, "one", false, SECRET).statusCode());
      assertEquals(200, chat(guarded, "one", false, "user-key-1").statusCode());
      assertEquals(401, chat(guarded, "one", false, "not-the-secret").statusCode());
      assertEquals(401, chat(guarded, "one", true, null).statusCode(), "the forwarded header opens nothing");

      FakeLlamaServer two = open.llama(new FakeLlamaServer.Options().alias("two"));
      open.start("cluster: {secret: " + SECRET + "}\n" + Yaml.llama("two", two.url()));
      assertEquals(200, chat(open, "two", false, null).statusCode(), "an open API stays open");
    }
  }

  /** Node A as a process of its own: {@code magi serve} with the cluster and its backend, in {@code workDir}. */
  private static MagiProcess nodeProcess(Path workDir, RedisProcess redis, String id, String backends)
      throws Exception {
    java.nio.file.Files.createDirectories(workDir);
    Path config = java.nio.file.Files.writeString(workDir.resolve("magi.yaml"), member(redis, id, backends));
    MagiProcess node = MagiProcess.start(workDir, Map.of(), "serve", "--config", config.toString(), "--port", "0");
    node.url();
    return node;
  }

  @Test
  void aNodeKilledIsRoutedAroundRejoinsWhenRestartedAndARedisOutageUnderTrafficFailsNothing() throws Exception {
    try (RedisProcess redis = RedisProcess.start(dir.resolve("redis.log"));
        GatewayFixture b = new GatewayFixture(); GatewayFixture c = new GatewayFixture()) {
      FakeLlamaServer atA = b.llama(new FakeLlamaServer.Options().alias("shared"));
      FakeLlamaServer atB = b.llama(new FakeLlamaServer.Options().alias("shared"));
      String backendOfA = Yaml.llama("shared", atA.url());
      MagiProcess a = nodeProcess(dir.resolve("node-a"), redis, "node-a", backendOfA);
      try {
        b.start(member(redis, "node-b", Yaml.llama("shared", atB.url())));
        c.start(member(redis, "node-c", "router: {policy: round_robin}\n"));
        routesUntil(c, routes -> routes.resolve("shared").map(p -> p.backends().size()).orElse(0) == 2);
        for (int i = 0; i < 6; i++) {
          assertEquals(200, chat(c, "shared", false, null).statusCode());
        }
        assertTrue(atA.completed() > 0 && atB.completed() > 0, "both nodes served: " + atA.completed() + "/"
            + atB.completed());

        // kill -9 of A: it cannot leave; until its record expires, C's requests that go to it are retried on B.
        a.close();
        for (int i = 0; i < 20; i++) {
          java.net.http.HttpResponse<String> answer = chat(c, "shared", false, null);
          assertEquals(200, answer.statusCode(), "request " + i + ": " + answer.body());
        }
        until(c, v -> ids(v).equals(List.of("node-b", "node-c")), 5);

        // A starts again and rejoins: C sends it requests again.
        a = nodeProcess(dir.resolve("node-a"), redis, "node-a", backendOfA);
        until(c, v -> ids(v).equals(List.of("node-a", "node-b", "node-c")), 10);
        routesUntil(c, routes -> routes.resolve("shared").map(p -> p.backends().size()).orElse(0) == 2);
        long servedByA = atA.completed();
        for (int i = 0; i < 6; i++) {
          assertEquals(200, chat(c, "shared", false, null).statusCode());
        }
        assertTrue(atA.completed() > servedByA, "the restarted node serves again");

        // Redis away for 20 s under steady traffic: C goes on routing on its last view; not one request fails.
        redis.stop();
        until(c, v -> !v.path("redis").path("available").asBoolean(), 5);
        long outageEnds = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int sent = 0;
        List<String> failed = new ArrayList<>();
        while (System.nanoTime() < outageEnds) {
          java.net.http.HttpResponse<String> answer = chat(c, "shared", false, null);
          sent++;
          if (answer.statusCode() != 200) {
            failed.add(answer.statusCode() + " " + answer.body());
          }
          Thread.sleep(50);
        }
        assertEquals(List.of(), failed, "of " + sent + " requests while Redis was away");
        assertTrue(sent >= 100, "steady traffic: " + sent);

        // Redis back: the cluster converges again.
        redis.start();
        JsonNode back = until(c, v -> v.path("redis").path("available").asBoolean()
            && ids(v).equals(List.of("node-a", "node-b", "node-c")), 10);
        assertTrue(back.path("redis").path("available").asBoolean());
      } finally {
        a.close();
      }
    }
  }
}
