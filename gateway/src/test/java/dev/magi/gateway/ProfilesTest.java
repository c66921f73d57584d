package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.Await;
import dev.magi.testkit.GgufWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Profiles switched live, with real llama-server children (the fake executable). */
class ProfilesTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @BeforeEach
  void models() throws IOException {
    for (String name : List.of("model-a", "model-b", "model-c", "fails-to-load")) {
      GgufWriter.chatModel(name, 10).write(dir.resolve("models/" + name + ".gguf"));
    }
  }

  private String config(String behaviour, String profiles) throws IOException {
    return ModelsYaml.models(dir, behaviour, 10, "  concurrent_starts: 4\n  defaults:\n    context: 512\n"
        + "    parallel: 10\n") + "profiles:\n" + profiles;
  }

  private static final String PROFILES = """
        development:
          description: Balanced testing
          memory_budget: 4GiB
          models:
            - model: model-a
            - model: model-b
        production:
          description: All tiers
          models:
            - model: model-a
            - model: model-c
              replicas: 2
        fast-only:
          description: Tight
          memory_budget: 100MiB
          models:
            - model: model-a
            - model: model-b
        broken:
          models:
            - model: model-a
            - model: fails-to-load
        lazy:
          models:
            - model: model-a
            - model: model-c
              on_demand: true
              ttl: 1s
      """;

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  private static HttpResponse<String> activate(GatewayFixture magi, String profile, String query) {
    return magi.post("/api/models/profile/activate" + query, "{\"profile_name\":\"" + profile + "\"}");
  }


  @Test
  void switchingUnderTwentyLiveStreamsDropsNone() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("token_ms=25", PROFILES));
      JsonNode development = json(activate(magi, "development", ""));
      assertEquals(List.of("model-a", "model-b"), names(development.get("started")));

      HttpClient http = HttpClient.newHttpClient();
      List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String model = i % 2 == 0 ? "model-a" : "model-b";
        streams.add(http.sendAsync(HttpRequest.newBuilder(URI.create(magi.url() + "/v1/chat/completions"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":40,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      Await.until(() -> magi.gateway().directory().routes().pools().stream()
          .mapToInt(p -> p.backends().stream().mapToInt(b -> b.inFlight()).sum()).sum() == 20, "20 streams open");

      JsonNode production = json(activate(magi, "production", ""));

      assertEquals("production", production.get("profile").asText());
      assertEquals(List.of("model-a"), names(production.get("kept")));
      assertEquals(List.of("model-c", "model-c#2"), names(production.get("started")));
      assertEquals(List.of("model-b"), names(production.get("stopped")));
      for (CompletableFuture<HttpResponse<String>> stream : streams) {
        HttpResponse<String> done = stream.get(60, TimeUnit.SECONDS);
        assertEquals(200, done.statusCode());
        assertTrue(done.body().endsWith("data: [DONE]\n\n"), done.body());
        assertTrue(!done.body().contains("\"error\""), done.body());
      }
      assertTrue(magi.gateway().directory().routes().resolve("model-b").isEmpty(), "model-b left the router");
      assertEquals(2, magi.gateway().directory().routes().resolve("model-c").orElseThrow().backends().size());
      JsonNode listed = json(magi.get("/api/models/profiles"));
      assertEquals("production", listed.get("active_profile").asText());
      assertTrue(listed.at("/profiles/0/memory_estimate").asLong() > 0);
    }
  }

  @Test
  void aProfileOverItsBudgetIsRefusedWith409() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("", PROFILES));

      HttpResponse<String> refused = activate(magi, "fast-only", "");

      assertEquals(409, refused.statusCode());
      JsonNode error = json(refused).get("error");
      assertEquals("memory_budget_exceeded", error.get("code").asText());
      assertTrue(error.get("message").asText().contains("model-a ×1"), error.get("message").asText());
      assertEquals(0, json(magi.get("/api/models/servers")).get("total").asInt(), "nothing was started");
    }
  }

  @Test
  void aFailedStartIsReportedAndTheRestOfTheProfileServes() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("", PROFILES));

      JsonNode result = json(activate(magi, "broken", ""));

      assertEquals(List.of("model-a"), names(result.get("started")));
      assertEquals("fails-to-load", result.at("/failed/0/name").asText());
      assertTrue(result.at("/failed/0/error").asText().contains("exited with code 1 while loading"));
      assertEquals(200, magi.post("/v1/chat/completions", "{\"model\":\"model-a\",\"messages\":[{\"role\":\"user\","
          + "\"content\":\"Hi\"}]}").statusCode());
      JsonNode retried = json(activate(magi, "broken", ""));
      assertEquals(List.of("model-a"), names(retried.get("kept")), "activation can be retried");
    }
  }

  @Test
  void withoutWaitingTheSwitchIsAcceptedAndItsProgressVisible() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("load_ms=1500", PROFILES));

      HttpResponse<String> accepted = activate(magi, "development", "?wait=false");

      assertEquals(202, accepted.statusCode());
      JsonNode switching = json(magi.get("/api/models/profiles")).get("switching");
      assertEquals("development", switching.get("target").asText());
      assertEquals(2, switching.get("pending").size() + switching.get("ready").size());
      assertEquals(409, activate(magi, "production", "").statusCode(), "one switch at a time");
      Await.until(() -> {
        try {
          return "development".equals(json(magi.get("/api/models/profiles")).path("active_profile").asText());
        } catch (IOException e) {
          return false;
        }
      }, "the switch to finish");
    }
  }

  @Test
  void theStartupProfileIsActivatedAndRestoredAfterARestart() throws Exception {
    String config = config("", PROFILES);
    try (GatewayFixture first = new GatewayFixture()) {
      first.start(config, Map.of("MAGI_PROFILE", "development"));
      Await.until(() -> first.gateway().directory().routes().resolve("model-b").isPresent(), "development to start");
    }
    assertEquals("development", Files.readString(dir.resolve("data/active_profile")).trim());

    try (GatewayFixture second = new GatewayFixture()) {
      second.start(config);
      Await.until(() -> {
        try {
          return "development".equals(json(second.get("/api/models/profiles")).path("active_profile").asText());
        } catch (IOException e) {
          return false;
        }
      }, "the restored profile");
      assertTrue(second.gateway().directory().routes().resolve("model-b").isPresent());
    }
  }

  private static List<String> names(JsonNode array) {
    List<String> names = new ArrayList<>();
    array.forEach(n -> names.add(n.asText()));
    return names;
  }

  @Test
  void anOnDemandModelLoadsOnItsFirstRequestAndUnloadsWhenIdle() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("load_ms=800", PROFILES));
      JsonNode lazy = json(activate(magi, "lazy", ""));
      assertEquals(List.of("model-a"), names(lazy.get("started")), "on-demand models are not started");
      assertEquals("unloaded", status(magi, "model-c"));

      HttpClient http = HttpClient.newHttpClient();
      List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        waiting.add(http.sendAsync(HttpRequest.newBuilder(URI.create(magi.url() + "/v1/chat/completions"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"model-c\",\"stream\":true,\"max_tokens\":3,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      Await.until(() -> "loading".equals(status(magi, "model-c")), "loading");
      for (CompletableFuture<HttpResponse<String>> request : waiting) {
        HttpResponse<String> done = request.get(60, TimeUnit.SECONDS);
        assertEquals(200, done.statusCode(), done.body());
        assertTrue(done.body().endsWith("data: [DONE]\n\n"));
      }
      assertEquals("loaded", status(magi, "model-c"));
      assertEquals(1, json(magi.get("/api/models/servers")).findValues("model").stream()
          .filter(m -> m.asText().equals("model-c")).count(), "one start for three requests");

      Await.until(() -> "unloaded".equals(status(magi, "model-c")), "unloaded after its ttl");
      assertEquals(200, magi.post("/v1/chat/completions", "{\"model\":\"model-c\",\"messages\":[{\"role\":"
          + "\"user\",\"content\":\"Hi\"}]}").statusCode(), "and loaded again by the next request");
    }
  }

  private static String status(GatewayFixture magi, String model) {
    try {
      for (JsonNode entry : json(magi.get("/v1/models")).get("data")) {
        if (entry.get("id").asText().equals(model)) {
          return entry.path("status").asText();
        }
      }
      return "missing";
    } catch (IOException e) {
      return "unreadable";
    }
  }
}
