package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** What happens to traffic when one of two replicas fails. */
class FailoverTest {

  private static final String STREAM = "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":4,"
      + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

  private static long chats(FakeLlamaServer server) {
    return server.requests().stream().filter(r -> r.path().equals("/v1/chat/completions")).count();
  }

  @Test
  void aReplicaThatDiesMidStreamFailsThatStreamOnlyAndGetsNoNewRequests() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer first = magi.llama(new FakeLlamaServer.Options());
      FakeLlamaServer second = magi.llama(new FakeLlamaServer.Options());
      magi.start(Yaml.llama("tiny", first.url()) + "  - model: tiny\n    url: " + second.url() + "\n");
      first.failNextStreamAfter(2);

      HttpResponse<String> broken = magi.post("/v1/chat/completions", STREAM);

      assertEquals(200, broken.statusCode());
      assertTrue(broken.body().contains("data: {\"error\":"), broken.body());
      assertFalse(broken.body().contains("[DONE]"));
      for (int i = 0; i < 6; i++) {
        HttpResponse<String> next = magi.post("/v1/chat/completions", STREAM);
        assertTrue(next.body().endsWith("data: [DONE]\n\n"), next.body());
      }
      assertEquals(1, chats(first), "the ejected replica gets nothing more");
      assertEquals(6, chats(second));
    }
  }

  @Test
  void aReplicaThatStopsListeningIsRetriedOnTheOtherAndEjected() {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer first = magi.llama(new FakeLlamaServer.Options());
      FakeLlamaServer second = magi.llama(new FakeLlamaServer.Options());
      magi.start("health:\n  interval: 1h\n" + Yaml.llama("tiny", first.url()) + "  - model: tiny\n    url: "
          + second.url() + "\n");
      Await.result(first.close());

      for (int i = 0; i < 5; i++) {
        HttpResponse<String> response = magi.post("/v1/chat/completions", STREAM);
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().endsWith("data: [DONE]\n\n"));
      }
      assertEquals(5, chats(second));
      assertTrue(magi.gateway().directory().endpoints().stream()
          .anyMatch(e -> e.port() == first.port() && e.outliers().isEjected()));
    }
  }

  @Test
  void twoReplicasShareTheLoadEvenly() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer first = magi.llama(new FakeLlamaServer.Options().slots(4).tokenDelayMillis(5));
      FakeLlamaServer second = magi.llama(new FakeLlamaServer.Options().slots(4).tokenDelayMillis(5));
      magi.start(Yaml.llama("tiny", first.url()) + "  - model: tiny\n    url: " + second.url() + "\n");
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new java.util.ArrayList<>();
      for (int i = 0; i < 40; i++) {
        all.add(http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(magi.url()
            + "/v1/chat/completions")).POST(java.net.http.HttpRequest.BodyPublishers.ofString(STREAM)).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      for (var response : all) {
        assertEquals(200, response.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode());
      }

      long a = chats(first);
      long b = chats(second);
      assertEquals(40, a + b);
      assertTrue(Math.abs(a - b) <= 8, "uneven split: " + a + " / " + b);
      assertEquals(0, first.deferredTotal() + second.deferredTotal());
    }
  }

  @Test
  void routerStateShowsEveryBackendAndItsPolicy() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer first = magi.llama(new FakeLlamaServer.Options().slots(3));
      FakeLlamaServer second = magi.llama(new FakeLlamaServer.Options());
      magi.start("router:\n  policies:\n    tiny: p2c\n" + Yaml.llama("tiny", first.url()) + "  - model: tiny\n"
          + "    url: " + second.url() + "\n    slots: 1\n");
      Await.result(second.close());
      magi.post("/v1/chat/completions", STREAM.replace("\"stream\":true,", ""));

      com.fasterxml.jackson.databind.JsonNode state = new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(magi.get("/api/router").body());

      com.fasterxml.jackson.databind.JsonNode tiny = state.at("/models/0");
      assertEquals("tiny", tiny.get("id").asText());
      assertEquals("p2c", tiny.get("policy").asText());
      assertEquals(3, tiny.at("/backends/0/slots").asInt(), "from the first server's /props");
      assertEquals(1, tiny.at("/backends/1/slots").asInt(), "configured");
      assertEquals(0, tiny.at("/backends/0/in_flight").asInt());
      assertTrue(tiny.at("/backends/0/first_event_ms").asDouble() > 0);
    }
  }
}
