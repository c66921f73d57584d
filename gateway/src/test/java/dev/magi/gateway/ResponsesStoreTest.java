package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Stored responses in the real PostgreSQL: they outlive a restart (a second gateway on the same
 * database reads and continues them), and at most {@code responses.store_limit} are kept.
 */
class ResponsesStoreTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> PG = Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test");

  private static String create(GatewayFixture magi, String input) throws Exception {
    HttpResponse<String> made = magi.post("/v1/responses", "{\"model\":\"tiny\",\"input\":\"" + input
        + "\",\"max_output_tokens\":2}");
    assertEquals(200, made.statusCode(), made.body());
    return JSON.readTree(made.body()).get("id").asText();
  }

  @Test
  void aConversationCannotGrowBeyondTheBodyLimit() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
      magi.start("limits:\n  body_bytes: 4KiB\nbackends:\n  - model: tiny\n    url: " + llama.url() + "\n");
      String big = "x".repeat(2500);
      String first = create(magi, big);
      HttpResponse<String> continued = magi.post("/v1/responses", "{\"model\":\"tiny\",\"input\":\"" + big
          + "\",\"max_output_tokens\":2,\"previous_response_id\":\"" + first + "\"}");
      assertEquals(413, continued.statusCode(), continued.body());
      assertEquals("request_too_large", JSON.readTree(continued.body()).at("/error/code").asText());
    }
  }

  @Test
  void responsesOutliveARestartAndAreBounded() throws Exception {
    String first;
    try (GatewayFixture before = new GatewayFixture()) {
      FakeLlamaServer llama = before.llama(new FakeLlamaServer.Options().alias("tiny"));
      before.start("responses:\n  store_limit: 2\nbackends:\n  - model: tiny\n    url: " + llama.url() + "\n", PG);
      first = create(before, "Remember the number seven.");
    }
    try (GatewayFixture after = new GatewayFixture()) {
      FakeLlamaServer llama = after.llama(new FakeLlamaServer.Options().alias("tiny"));
      after.start("responses:\n  store_limit: 2\nbackends:\n  - model: tiny\n    url: " + llama.url() + "\n", PG);

      HttpResponse<String> kept = after.get("/v1/responses/" + first);
      assertEquals(200, kept.statusCode(), "read back by a gateway that never had it in memory: " + kept.body());
      HttpResponse<String> continued = after.post("/v1/responses", "{\"model\":\"tiny\",\"input\":\"Which number?\","
          + "\"max_output_tokens\":2,\"previous_response_id\":\"" + first + "\"}");
      assertEquals(200, continued.statusCode(), continued.body());
      JsonNode messages = llama.lastRequest("/v1/chat/completions").json().get("messages");
      assertEquals("Remember the number seven.", messages.get(0).get("content").asText());
      assertEquals("assistant", messages.get(1).get("role").asText());
      assertEquals("Which number?", messages.get(2).get("content").asText());

      String second = JSON.readTree(continued.body()).get("id").asText();
      String third = create(after, "And another.");
      String fourth = create(after, "And one more.");
      try (GatewayFixture fresh = new GatewayFixture()) {
        FakeLlamaServer other = fresh.llama(new FakeLlamaServer.Options().alias("tiny"));
        fresh.start("responses:\n  store_limit: 2\nbackends:\n  - model: tiny\n    url: " + other.url() + "\n", PG);
        assertEquals(200, fresh.get("/v1/responses/" + fourth).statusCode());
        assertEquals(200, fresh.get("/v1/responses/" + third).statusCode());
        assertEquals(404, fresh.get("/v1/responses/" + second).statusCode(), "beyond the limit, the oldest go");
        HttpResponse<String> deleted = fresh.delete("/v1/responses/" + third);
        assertTrue(JSON.readTree(deleted.body()).get("deleted").asBoolean());
        assertEquals(404, fresh.get("/v1/responses/" + third).statusCode());
      }
    }
  }
}
