package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * A face that gathers a stream into one answer holds it whole: bounded by
 * {@code limits.upstream_response_bytes} like any whole answer; a streamed answer is not held.
 */
class FaceBoundsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aGatheredAnswerIsBoundedAndAStreamIsNot() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny").defaultTokens(600));
      magi.start("limits:\n  upstream_response_bytes: 64KiB\nbackends:\n  - model: tiny\n    url: " + llama.url() + "\n");
      String ask = "{\"model\":\"tiny\",\"max_tokens\":600,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

      HttpResponse<String> whole = magi.post("/v1/messages", ask + "}");
      assertEquals(502, whole.statusCode(), whole.body().length() > 300 ? whole.body().substring(0, 300) : whole.body());
      assertEquals("api_error", JSON.readTree(whole.body()).at("/error/type").asText());
      assertTrue(JSON.readTree(whole.body()).at("/error/message").asText().contains("larger than 65536 bytes"));

      HttpResponse<String> streamed = magi.post("/v1/messages", ask + ",\"stream\":true}");
      assertEquals(200, streamed.statusCode());
      assertTrue(streamed.body().endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
    }
  }
}
