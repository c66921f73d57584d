package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.GgufWriter;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard ({@code docker/grafana/magi.json}) against a gateway that served traffic: it
 * parses, its panels are laid out, and every series its queries name is in {@code /metrics}. Also the
 * series of occasional events: a local model's load, a profile switch, retrieval operations.
 */
class DashboardTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SERIES = Pattern.compile("\\b((?:magi|jvm|process|system|vertx)_[a-z0-9_]+)\\b");

  @TempDir
  Path dir;

  @Test
  void everySeriesTheDashboardQueriesIsServedAfterTraffic() throws Exception {
    JsonNode dashboard = JSON.readTree(Files.readString(dev.magi.testkit.RepositoryFiles.path("docker/grafana/magi.json")));
    assertEquals("magi-gateway", dashboard.path("uid").asText());
    Set<Integer> ids = new HashSet<>();
    Set<String> queried = new TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      assertTrue(ids.add(panel.path("id").asInt()), "panel ids are unique: " + panel.path("title"));
      assertTrue(panel.path("gridPos").path("w").asInt() > 0, "laid out: " + panel.path("title"));
      for (JsonNode target : panel.path("targets")) {
        Matcher names = SERIES.matcher(target.path("expr").asText());
        while (names.find()) {
          queried.add(names.group(1));
        }
      }
    }
    assertTrue(queried.size() >= 15, "the dashboard queries: " + queried);

    GgufWriter.chatModel("Qwen2 0.5B", 100).write(dir.resolve("models/Qwen2-0.5B-Q4.gguf"));
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
      magi.start(ModelsYaml.models(dir, "load_ms=50", 2, "  defaults:\n    context: 512\n    parallel: 2\n")
          + "profiles:\n  small:\n    models:\n      - model: Qwen2-0.5B-Q4\n" + Yaml.llama("tiny", llama.url()));
      String chat = "{\"model\":\"%s\",\"stream\":true,\"max_tokens\":4,\"messages\":[{\"role\":\"user\","
          + "\"content\":\"Hi\"}]}";
      assertEquals(200, magi.post("/v1/chat/completions", chat.formatted("tiny")).statusCode());
      HttpResponse<String> local = magi.post("/v1/chat/completions", chat.formatted("Qwen2-0.5B-Q4"));
      assertEquals(200, local.statusCode(), "loaded on request: " + local.body());
      HttpResponse<String> switched = magi.post("/api/models/profile/activate", "{\"profile_name\":\"small\"}");
      assertEquals(200, switched.statusCode(), switched.body());
      assertEquals(4, magi.post("/api/models/profile/activate", "{\"profile_name\":\"nope\"}").statusCode() / 100,
          "an unknown profile is refused");

      String text = MetricsTest.scrape(magi);
      List<String> missing = new ArrayList<>();
      for (String name : queried) {
        if (!text.contains("\n" + name + "{") && !text.contains("\n" + name + " ")) {
          missing.add(name);
        }
      }
      assertEquals(List.of(), missing, "series the dashboard queries that /metrics does not serve");

      String model = "Qwen2-0.5B-Q4";
      assertEquals(1, MetricsTest.value(text, "magi_model_status", java.util.Map.of("model", model, "status", "loaded")));
      assertEquals(0, MetricsTest.value(text, "magi_model_status", java.util.Map.of("model", model, "status", "failed")));
      assertEquals(1, MetricsTest.value(text, "magi_model_load_seconds_count", java.util.Map.of("model", model)));
      assertEquals(0, MetricsTest.value(text, "magi_model_server_restarts_total", java.util.Map.of("model", model)));
      assertEquals(1, MetricsTest.value(text, "magi_profile_switches_total",
          java.util.Map.of("profile", "small", "result", "success")));
      assertEquals(1, MetricsTest.value(text, "magi_profile_switches_total",
          java.util.Map.of("profile", "unknown", "result", "refused")), "a name not configured is no label");
      assertEquals(2, MetricsTest.value(text, "magi_profile_switch_seconds_count", java.util.Map.of()));
      // The local server's own series, re-exported with the model and the instance.
      assertEquals(4, MetricsTest.value(text, "llamacpp_tokens_predicted_total",
          java.util.Map.of("model", model, "instance", model)), "the tokens of the one stream it served");
      MetricsTest.promtoolAccepts(text);
    }
  }

  @Test
  void retrievalOperationsAreCountedByResult() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer embed = magi.llama(new FakeLlamaServer.Options().alias("embed").embeddings(true));
      magi.start("retrieval:\n  embedding_model: embed\nbackends:\n  - model: embed\n    url: " + embed.url() + "\n");
      HttpResponse<String> created = magi.post("/v1/vector_stores", "{\"name\":\"docs\"}");
      assertEquals(200, created.statusCode(), created.body());
      String store = JSON.readTree(created.body()).path("id").asText();
      assertEquals(200, magi.post("/v1/vector_stores/" + store + "/search", "{\"query\":\"hello\"}").statusCode());
      assertEquals(404, magi.post("/v1/vector_stores/vs_000000000000000000000000/search", "{\"query\":\"x\"}")
          .statusCode());

      String text = MetricsTest.scrape(magi);
      assertEquals(1, MetricsTest.value(text, "magi_retrieval_requests_total",
          java.util.Map.of("operation", "create", "store", "memory", "result", "ok")));
      assertEquals(1, MetricsTest.value(text, "magi_retrieval_requests_total",
          java.util.Map.of("operation", "search", "store", "memory", "result", "ok")));
      assertEquals(1, MetricsTest.value(text, "magi_retrieval_requests_total",
          java.util.Map.of("operation", "search", "store", "memory", "result", "error")));
      assertEquals(2, MetricsTest.value(text, "magi_retrieval_duration_seconds_count",
          java.util.Map.of("operation", "search", "store", "memory")));
      assertEquals(1, MetricsTest.value(text, "magi_retrieval_store_available", java.util.Map.of("store", "memory")));
    }
  }
}
