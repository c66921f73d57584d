package dev.magi.gateway.responses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Responses request → chat translation and the chat stream → response, without sockets. */
class ResponsesTranslationTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static ResponsesRequests.Translated translate(String json, ArrayNode previous) throws Exception {
    return ResponsesRequests.toChat(JSON.readTree(json), previous);
  }

  @Test
  void conversationContinuesThePreviousOne() throws Exception {
    ArrayNode previous = (ArrayNode) JSON.readTree("[{\"type\":\"message\",\"role\":\"user\",\"content\":"
        + "[{\"type\":\"input_text\",\"text\":\"Weather?\"}]},{\"type\":\"message\",\"role\":\"assistant\",\"content\":"
        + "[{\"type\":\"output_text\",\"text\":\"Looking.\",\"annotations\":[]}]},{\"type\":\"function_call\","
        + "\"call_id\":\"c1\",\"name\":\"f\",\"arguments\":\"{}\"},{\"type\":\"function_call\",\"call_id\":\"c2\","
        + "\"name\":\"g\",\"arguments\":\"{}\"}]");
    ResponsesRequests.Translated t = translate("{\"model\":\"m\",\"instructions\":\"Be brief.\",\"input\":["
        + "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"sunny\"},"
        + "{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[]},"
        + "{\"role\":\"developer\",\"content\":\"Use Celsius.\"}],\"temperature\":0.2,\"max_output_tokens\":9,"
        + "\"text\":{\"format\":{\"type\":\"json_object\"}},\"tool_choice\":\"required\",\"parallel_tool_calls\":false}",
        previous);
    JsonNode messages = t.chat().get("messages");

    assertEquals(List.of("system", "user", "assistant", "tool", "system"),
        List.of(messages.get(0), messages.get(1), messages.get(2), messages.get(3), messages.get(4)).stream()
            .map(m -> m.get("role").asText()).toList());
    assertEquals(5, messages.size(), "reasoning is left out");
    assertEquals("Looking.", messages.get(2).get("content").asText());
    assertEquals(2, messages.get(2).get("tool_calls").size(), "both calls join the assistant's message");
    assertEquals("c1", messages.get(3).get("tool_call_id").asText());
    assertEquals(9, t.chat().get("max_tokens").asInt());
    assertEquals("json_object", t.chat().at("/response_format/type").asText());
    assertEquals("required", t.chat().get("tool_choice").asText());
    assertEquals(false, t.chat().get("parallel_tool_calls").asBoolean());
    assertTrue(t.chat().get("stream").asBoolean());
    assertEquals(3, t.input().size());
    assertEquals(7, t.conversation().size());
    assertEquals(0.2, t.echo().get("temperature").asDouble());
    assertEquals(1.0, t.echo().get("top_p").asDouble(), "an unset sampling value is echoed as its default");
  }

  @Test
  void refusals() {
    for (String body : List.of("{\"model\":\"m\"}", "{\"model\":\"m\",\"input\":[]}",
        "{\"model\":\"m\",\"input\":[{\"type\":\"file_search_call\"}]}",
        "{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"file_search\"}]}",
        "{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"n\"}}}",
        "{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":0}")) {
      assertEquals(400, assertThrows(ApiException.class, () -> translate(body, null), body).status(), body);
    }
  }

  @Test
  void wholeResponseWithTextThenAFunctionCall() throws Exception {
    ResponsesRequests.Translated t = translate("{\"model\":\"m\",\"input\":\"x\",\"store\":false}", null);
    List<ObjectNode> kept = new ArrayList<>();
    ResponsesAnswer answer = new ResponsesAnswer(t, null, kept::add);
    answer.push(Buffer.buffer("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hm.\"}}]}\n\n"
        + "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_9\",\"type\":"
        + "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}\n\n"
        + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
        + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":4}}\n\ndata: [DONE]\n\n"));
    JsonNode response = JSON.readTree(answer.finish().toString());

    assertEquals("completed", response.get("status").asText());
    assertEquals("Hm.", response.at("/output/0/content/0/text").asText());
    assertEquals("function_call", response.at("/output/1/type").asText());
    assertEquals("call_9", response.at("/output/1/call_id").asText());
    assertEquals("{\"a\":1}", response.at("/output/1/arguments").asText());
    assertEquals(11, response.at("/usage/total_tokens").asInt());
    assertEquals(1, kept.size(), "handed to the face, which keeps it only when asked");
  }

  @Test
  void failureAfterTheStartIsResponseFailed() throws Exception {
    ResponsesAnswer answer = new ResponsesAnswer(translate("{\"model\":\"m\",\"input\":\"x\",\"stream\":true}", null),
        null, r -> { });
    String out = answer.push(Buffer.buffer("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
        + "data: {\"error\":{\"code\":500,\"message\":\"boom\"}}\n\n")).toString() + answer.finish();
    String[] events = out.split("\n\n");
    JsonNode last = JSON.readTree(events[events.length - 1].split("\n")[1].substring(6));

    assertEquals("response.failed", last.get("type").asText());
    assertEquals("boom", last.at("/response/error/message").asText());
    assertEquals(events.length - 1, last.get("sequence_number").asInt());
  }
}
