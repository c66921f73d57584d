package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Asking for a model is enough to get it: a models directory and no profiles at all, the fake
 * llama-server as a real child process. Each fake model needs about 64.5 MiB by Magi's estimate (the
 * 64 MiB allowance, a tiny file, a small KV cache), so a 100 MiB budget holds one model, not two.
 */
class LoadOnRequestTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path dir;

  @BeforeEach
  void models() throws IOException {
    for (String name : List.of("model-a", "model-b")) {
      GgufWriter.chatModel(name, 10).write(dir.resolve("models/" + name + ".gguf"));
    }
  }

  private String config(String behaviour, String more) throws IOException {
    return ModelsYaml.models(dir, behaviour, 6, "  defaults:\n    context: 512\n    parallel: 2\n" + more);
  }

  private static String chat(String model, boolean stream, int maxTokens) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"max_tokens\":" + maxTokens
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  }

  private static CompletableFuture<HttpResponse<String>> postAsync(GatewayFixture magi, String body) {
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(magi.url() + "/v1/chat/completions"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  private static String status(GatewayFixture magi, String model) {
    try {
      return json(magi.get("/v1/models/" + model)).get("status").asText();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long runningServers(GatewayFixture magi, String model) throws IOException {
    long count = 0;
    for (JsonNode server : json(magi.get("/api/models/servers")).get("servers")) {
      if (server.get("model").asText().equals(model) && server.get("status").asText().equals("ready")) {
        count++;
      }
    }
    return count;
  }

  @Test
  void concurrentRequestsForAnUnloadedModelJoinOneLoad() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("load_ms=300", ""));
      JsonNode listed = json(magi.get("/v1/models"));
      assertEquals(2, listed.get("data").size(), listed.toString());
      assertEquals("unloaded", listed.at("/data/0/status").asText());
      assertTrue(listed.at("/data/0/memory_estimate_bytes").asLong() > 64L << 20);

      List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        requests.add(postAsync(magi, chat("model-a", i % 2 == 0, 4)));
      }
      for (CompletableFuture<HttpResponse<String>> request : requests) {
        HttpResponse<String> answer = request.get(60, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode(), answer.body());
      }
      assertEquals(1, runningServers(magi, "model-a"), "five requests, one server");
      assertEquals("loaded", status(magi, "model-a"));
      assertEquals("unloaded", status(magi, "model-b"));
    }
  }

  @Test
  void aModelThatDoesNotFitUnloadsTheIdleOneAndWaitsForABusyOneToFinish() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("token_ms=50", "  memory_budget: 100MiB\n"));

      assertEquals(200, magi.post("/v1/chat/completions", chat("model-a", false, 2)).statusCode());
      HttpResponse<String> b = magi.post("/v1/chat/completions", chat("model-b", false, 2));
      assertEquals(200, b.statusCode(), b.body());
      assertEquals("unloaded", status(magi, "model-a"), "the idle model made room");
      assertEquals("loaded", status(magi, "model-b"));
      assertEquals(0, runningServers(magi, "model-a"));

      // model-b streams for about 2 s: model-a waits for it rather than cutting it.
      CompletableFuture<HttpResponse<String>> stream = postAsync(magi, chat("model-b", true, 40));
      Await.until(() -> magi.gateway().directory().routes().resolve("model-b")
          .map(pool -> pool.busy() > 0).orElse(false), "the stream to start");
      CompletableFuture<HttpResponse<String>> a = postAsync(magi, chat("model-a", false, 2));

      HttpResponse<String> streamed = stream.get(60, TimeUnit.SECONDS);
      assertEquals(200, streamed.statusCode());
      assertTrue(streamed.body().endsWith("data: [DONE]\n\n"), "the busy model's stream ran to its end");
      HttpResponse<String> swapped = a.get(60, TimeUnit.SECONDS);
      assertEquals(200, swapped.statusCode(), swapped.body());
      assertEquals("loaded", status(magi, "model-a"));
      assertEquals("unloaded", status(magi, "model-b"));
    }
  }

  /**
   * What a user coming from llama-swap or Ollama does: an official OpenAI client, a models directory,
   * no profiles, a budget that holds one model; every model is listed by its file name and answers
   * when asked for, turn and turn about.
   */
  @Test
  void anOpenAiClientAsksForEachFileByNameAndMagiSwapsWithinTheBudget() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("token_ms=5", "  memory_budget: 100MiB\n"));
      com.openai.client.OpenAIClient client = com.openai.client.okhttp.OpenAIOkHttpClient.builder()
          .baseUrl(magi.apiBase()).apiKey("unused").maxRetries(0).build();
      try {
        List<String> listed = client.models().list().data().stream().map(com.openai.models.models.Model::id).toList();
        assertEquals(List.of("model-a", "model-b"), listed.stream().sorted().toList());

        for (String model : List.of("model-a", "model-b", "model-a", "model-b")) {
          var params = com.openai.models.chat.completions.ChatCompletionCreateParams.builder().model(model)
              .addUserMessage("Hi").maxCompletionTokens(3).build();
          if (model.equals("model-b")) {
            StringBuilder text = new StringBuilder();
            try (var stream = client.chat().completions().createStreaming(params)) {
              stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
            }
            assertFalse(text.isEmpty(), "a streamed answer from " + model);
          } else {
            assertFalse(client.chat().completions().create(params).choices().get(0).message().content().orElse("")
                .isEmpty(), "an answer from " + model);
          }
          assertEquals("loaded", status(magi, model));
          assertEquals("unloaded", status(magi, model.equals("model-a") ? "model-b" : "model-a"),
              "only one model fits the budget");
        }
      } finally {
        client.close();
      }
    }
  }

  @Test
  void aModelThatCannotFitBesidePinnedOnesIs503WithWhatIsLoaded() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("", "  memory_budget: 100MiB\n  settings:\n    model-b:\n      pinned: true\n"));
      assertEquals(200, magi.post("/v1/chat/completions", chat("model-b", false, 2)).statusCode());

      HttpResponse<String> refused = magi.post("/v1/chat/completions", chat("model-a", false, 2));

      assertEquals(503, refused.statusCode(), refused.body());
      JsonNode error = json(refused).get("error");
      assertEquals("insufficient_memory", error.get("code").asText());
      assertTrue(error.get("message").asText().contains("model-b"), "it lists what is loaded: " + error);
      assertTrue(error.get("message").asText().contains("pinned"), error.toString());
      assertTrue(json(magi.get("/v1/models/model-b")).get("pinned").asBoolean());
    }
  }

  @Test
  void aModelKeptBusyForEverIsSwappedOutAfterMaxSwapWaitAndItsRequestsWaitForItsReturn() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("token_ms=40", "  memory_budget: 100MiB\n  max_swap_wait: 1s\n"));
      assertEquals(200, magi.post("/v1/chat/completions", chat("model-b", false, 2)).statusCode());

      // model-b is never idle: a new 400 ms stream every 100 ms, for 4 s.
      List<CompletableFuture<HttpResponse<String>>> busy = new ArrayList<>();
      CompletableFuture<HttpResponse<String>> a = null;
      for (int i = 0; i < 40; i++) {
        busy.add(postAsync(magi, chat("model-b", true, 10)));
        if (i == 5) {
          a = postAsync(magi, chat("model-a", false, 2));
        }
        Thread.sleep(100);
      }

      HttpResponse<String> served = a.get(60, TimeUnit.SECONDS);
      assertEquals(200, served.statusCode(), "model-a got its turn: " + served.body());
      for (CompletableFuture<HttpResponse<String>> request : busy) {
        HttpResponse<String> answer = request.get(60, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().endsWith("data: [DONE]\n\n"), "no stream of model-b was cut");
      }
    }
  }

  @Test
  void killingAManagedServerLosesNoRequestTheyWaitForTheRestart() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("", ""));
      assertEquals(200, magi.post("/v1/chat/completions", chat("model-a", false, 2)).statusCode());
      long pid = json(magi.get("/api/models/servers")).at("/servers/0/pid").asLong();

      List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        requests.add(postAsync(magi, chat("model-a", i % 2 == 0, 2)));
        if (i == 5) {
          ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        }
        Thread.sleep(100);
      }
      for (CompletableFuture<HttpResponse<String>> request : requests) {
        HttpResponse<String> answer = request.get(60, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode(), answer.body());
        assertFalse(answer.body().contains("\"error\""), answer.body());
      }
      JsonNode server = json(magi.get("/api/models/servers")).at("/servers/0");
      assertEquals(1, server.get("restarts").asInt(), server.toString());
      assertTrue(server.get("pid").asLong() != pid);
    }
  }

  @Test
  void onlyUnknownNamesAre404AndLoadOnRequestCanBeTurnedOff() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("", "  load_on_request: false\n"));

      HttpResponse<String> unknown = magi.post("/v1/chat/completions", chat("no-such-model", false, 2));
      assertEquals(404, unknown.statusCode());
      assertEquals("model_not_found", json(unknown).at("/error/code").asText());
      assertEquals(404, magi.get("/v1/models/no-such-model").statusCode());

      HttpResponse<String> notLoaded = magi.post("/v1/chat/completions", chat("model-a", false, 2));
      assertEquals(503, notLoaded.statusCode());
      assertEquals("model_not_loaded", json(notLoaded).at("/error/code").asText());
      assertEquals("unloaded", status(magi, "model-a"));
    }
  }

  @Test
  void readyzWaitsForPreloadedModels() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config("load_ms=1500", "  settings:\n    model-b:\n      preload: true\n"));

      HttpResponse<String> starting = magi.get("/readyz");
      assertEquals(503, starting.statusCode(), "model-b is still loading: " + starting.body());
      assertTrue(starting.body().contains("still starting"), starting.body());
      Await.until(() -> magi.get("/readyz").statusCode() == 200, "readyz once model-b is ready");
      assertEquals("loaded", status(magi, "model-b"));
      assertEquals("unloaded", status(magi, "model-a"), "only what is marked preload");
    }
  }
}
