package dev.magi.gateway.anthropic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.proxy.api.ApiException;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OpenAI chat chunks → Anthropic's events or message, without sockets. */
class AnthropicAnswerTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static String chunk(String delta, String finishReason) {
    return "data: {\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
        + (finishReason == null ? "null" : "\"" + finishReason + "\"") + "}]}\n\n";
  }

  private static String text(String text) {
    return chunk("{\"content\":\"" + text + "\"}", null);
  }

  private static final String USAGE = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":3,"
      + "\"prompt_tokens_details\":{\"cached_tokens\":10}}}\n\n";
  private static final String DONE = "data: [DONE]\n\n";

  /** The events of {@code bytes} as (name, data) pairs. */
  private static List<JsonNode> events(String bytes) throws Exception {
    List<JsonNode> events = new ArrayList<>();
    for (String event : bytes.split("\n\n")) {
      String[] lines = event.split("\n");
      JsonNode data = JSON.readTree(lines[1].substring("data: ".length()));
      assertEquals("event: " + data.get("type").asText(), lines[0], "the event's name is its data's type");
      events.add(data);
    }
    return events;
  }

  @Test
  void streamOfTextBecomesAnthropicsEvents() throws Exception {
    AnthropicAnswer answer = new AnthropicAnswer(false, "m", List.of());
    StringBuilder out = new StringBuilder();
    out.append(answer.push(Buffer.buffer(chunk("{\"role\":\"assistant\",\"content\":null}", null) + ": keep-alive\n\n"))
        .toString());
    out.append(answer.push(Buffer.buffer(text("Hel") + text("lo"))).toString());
    out.append(answer.push(Buffer.buffer(chunk("{}", "stop") + USAGE + DONE)).toString());
    out.append(answer.finish().toString());

    List<JsonNode> events = events(out.toString());
    assertEquals(List.of("message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop"), events.stream().map(e -> e.get("type").asText()).toList());
    assertEquals("m", events.get(0).at("/message/model").asText());
    assertEquals("Hel", events.get(3).at("/delta/text").asText());
    assertEquals("end_turn", events.get(6).at("/delta/stop_reason").asText());
    assertEquals(JSON.readTree("{\"input_tokens\":20,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":10,"
        + "\"output_tokens\":3}"), events.get(6).get("usage"));
  }

  @Test
  void wholeAnswerWithTextThenToolCall() throws Exception {
    AnthropicAnswer answer = new AnthropicAnswer(true, "m", List.of());
    assertEquals(0, answer.push(Buffer.buffer(text("Looking.")
        + chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\","
        + "\"arguments\":\"\"}}]}", null)
        + chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]}", null)
        + chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}", null)
        + chunk("{}", "tool_calls") + DONE)).length(), "a whole answer sends nothing before its end");
    JsonNode message = JSON.readTree(answer.finish().toString());

    assertEquals("message", message.get("type").asText());
    assertEquals(JSON.readTree("[{\"type\":\"text\",\"text\":\"Looking.\"},{\"type\":\"tool_use\",\"id\":\"call_1\","
        + "\"name\":\"f\",\"input\":{\"a\":1}}]"), message.get("content"));
    assertEquals("tool_use", message.get("stop_reason").asText());
    assertTrue(message.get("stop_sequence").isNull());
  }

  @Test
  void stopSequenceAcrossChunksCompletesTheAnswer() throws Exception {
    AnthropicAnswer answer = new AnthropicAnswer(true, "m", List.of("STOP", "xyz"));
    answer.push(Buffer.buffer(text("ab S")));
    assertFalse(answer.complete());
    answer.push(Buffer.buffer(text("TO")));
    assertFalse(answer.complete(), "\"S\" then \"TO\" may still become \"STOP\"");
    answer.push(Buffer.buffer(text("P and more")));
    assertTrue(answer.complete());
    JsonNode message = JSON.readTree(answer.finish().toString());

    assertEquals("ab ", message.at("/content/0/text").asText());
    assertEquals("stop_sequence", message.get("stop_reason").asText());
    assertEquals("STOP", message.get("stop_sequence").asText());
    assertEquals(3, message.at("/usage/output_tokens").asInt(), "without a usage chunk, one token per content event");
  }

  @Test
  void heldBackTextThatNeverBecomesAStopSequenceIsGivenAtTheEnd() throws Exception {
    AnthropicAnswer answer = new AnthropicAnswer(false, "m", List.of("STOP"));
    String out = answer.push(Buffer.buffer(text("a ST") + chunk("{}", "length") + DONE)).toString()
        + answer.finish();
    List<String> texts = events(out).stream().filter(e -> e.at("/delta/type").asText().equals("text_delta"))
        .map(e -> e.at("/delta/text").asText()).toList();

    assertEquals(List.of("a ", "ST"), texts);
    assertTrue(out.contains("\"stop_reason\":\"max_tokens\""));
  }

  @Test
  void backendErrorIsAnErrorEventOrAnHttpError() throws Exception {
    String error = "data: {\"error\":{\"code\":500,\"message\":\"boom\",\"type\":\"server_error\"}}\n\n";
    AnthropicAnswer streamed = new AnthropicAnswer(false, "m", List.of());
    List<JsonNode> events = events(streamed.push(Buffer.buffer(text("a") + error)).toString() + streamed.finish());
    JsonNode last = events.get(events.size() - 1);
    assertEquals("error", last.get("type").asText());
    assertEquals(JSON.readTree("{\"type\":\"api_error\",\"message\":\"boom\"}"), last.get("error"));

    AnthropicAnswer whole = new AnthropicAnswer(true, "m", List.of());
    whole.push(Buffer.buffer(text("a") + error));
    assertEquals(500, assertThrows(ApiException.class, whole::finish).status());

    AnthropicAnswer cut = new AnthropicAnswer(true, "m", List.of());
    cut.push(Buffer.buffer(text("a")));
    assertEquals(502, assertThrows(ApiException.class, cut::finish).status(), "a stream without its end is no answer");
  }

  @Test
  void errorTypesFollowTheStatus() {
    assertEquals("invalid_request_error", AnthropicErrors.type(400));
    assertEquals("authentication_error", AnthropicErrors.type(401));
    assertEquals("not_found_error", AnthropicErrors.type(404));
    assertEquals("request_too_large", AnthropicErrors.type(413));
    assertEquals("rate_limit_error", AnthropicErrors.type(429));
    assertEquals("overloaded_error", AnthropicErrors.type(503));
    assertEquals("api_error", AnthropicErrors.type(502));
    assertEquals("invalid_request_error", AnthropicErrors.type(408));
  }
}
