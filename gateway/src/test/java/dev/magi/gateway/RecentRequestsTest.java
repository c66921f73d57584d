package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/requests}: the last requests to models, newest first, bounded, filtered; no body unless
 * {@code console.capture_bodies}, and then bounded and redacted ({@code GET /api/requests/{id}}).
 */
class RecentRequestsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theLastRequestsAreKeptNewestFirst() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
      magi.start("console:\n  recent_requests: 3\nbackends:\n  - model: tiny\n    url: " + llama.url() + "\n");
      String ask = "{\"model\":\"%s\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"secret prompt\"}]}";
      assertEquals(200, magi.post("/v1/chat/completions", String.format(ask, "tiny")).statusCode());
      assertEquals(404, magi.post("/v1/chat/completions", String.format(ask, "nope")).statusCode());
      assertEquals(200, magi.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":"
          + "[{\"role\":\"user\",\"content\":\"Hi\"}]}").statusCode());
      String lastId = magi.post("/v1/chat/completions", String.format(ask, "tiny")).headers()
          .firstValue("x-request-id").orElseThrow();

      JsonNode all = JSON.readTree(magi.get("/api/requests").body());
      assertEquals(3, all.get("data").size(), "three kept: " + all);
      JsonNode newest = all.at("/data/0");
      assertEquals(lastId, newest.get("request_id").asText());
      assertEquals("/v1/chat/completions", newest.get("endpoint").asText());
      assertEquals(200, newest.get("status").asInt());
      assertTrue(newest.get("ttft_ms").asDouble() >= 0);
      assertEquals(2, newest.get("completion_tokens").asInt());
      assertEquals("/v1/messages", all.at("/data/1/endpoint").asText());
      assertTrue(!all.toString().contains("secret prompt"), "never a body");

      JsonNode refused = JSON.readTree(magi.get("/api/requests?status=4xx").body());
      assertEquals(1, refused.get("data").size());
      assertEquals("model_not_found", refused.at("/data/0/error").asText());
      assertEquals(2, JSON.readTree(magi.get("/api/requests?model=tiny&limit=2").body()).get("data").size());
      assertEquals(400, magi.get("/api/requests?limit=0").statusCode());
    }
  }

  @Test
  void withCaptureBodiesABodyIsKeptBoundedAndRedacted() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
      magi.start("auth:\n  api_keys: [sk-magi-client-key-1]\nconsole:\n  capture_bodies: true\nbackends:\n"
          + "  - model: tiny\n    url: " + llama.url() + "\n");
      String id = magi.post("/v1/chat/completions", "{\"model\":\"tiny\",\"max_tokens\":2,\"api_key\":\"leaked\","
          + "\"messages\":[{\"role\":\"user\",\"content\":\"my prompt, key sk-magi-client-key-1\"}]}",
          "sk-magi-client-key-1").headers().firstValue("x-request-id").orElseThrow();
      String big = "x".repeat(RecentRequests.MAX_BODY_BYTES);
      String bigId = magi.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":"
          + "[{\"role\":\"user\",\"content\":\"" + big + "\"}]}", "sk-magi-client-key-1").headers()
          .firstValue("x-request-id").orElseThrow();

      JsonNode list = JSON.readTree(magi.get("/api/requests").body());
      assertTrue(list.at("/data/0/has_body").asBoolean());
      assertTrue(!list.toString().contains("my prompt"), "the list carries no body");
      JsonNode one = JSON.readTree(magi.get("/api/requests/" + id).body());
      String body = one.get("request_body").asText();
      assertTrue(body.contains("my prompt, key [redacted]"), body);
      assertTrue(body.contains("\"api_key\" : \"[redacted]\""), body);
      assertTrue(!body.contains("leaked") && !body.contains("sk-magi-client-key-1"), body);
      assertEquals(false, one.get("request_body_truncated").asBoolean());

      JsonNode truncated = JSON.readTree(magi.get("/api/requests/" + bigId).body());
      assertEquals("/v1/messages", truncated.get("endpoint").asText(), "the client's own body, before translation");
      assertTrue(truncated.get("request_body_truncated").asBoolean());
      assertTrue(truncated.get("request_body_bytes").asInt() > RecentRequests.MAX_BODY_BYTES);
      assertTrue(truncated.get("request_body").asText().length() <= RecentRequests.MAX_BODY_BYTES);
      assertEquals(404, magi.get("/api/requests/req_unknown").statusCode());
    }
  }
}
