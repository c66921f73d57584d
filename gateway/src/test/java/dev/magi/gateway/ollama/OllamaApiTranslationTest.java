package dev.magi.gateway.ollama;

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

/** Ollama's API → OpenAI requests, and OpenAI chat streams → Ollama's lines, without sockets. */
class OllamaApiTranslationTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void chatWithToolHistoryImagesOptionsAndFormat() throws Exception {
    OllamaApiRequests.Translated t = OllamaApiRequests.chat(JSON.readTree("{\"model\":\"m\",\"messages\":["
        + "{\"role\":\"user\",\"content\":\"What is this?\",\"images\":[\"iVBORw0KGgo=\"]},"
        + "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"a\":1}}}]},"
        + "{\"role\":\"tool\",\"content\":\"done\",\"tool_name\":\"f\"}],"
        + "\"options\":{\"num_predict\":7,\"temperature\":0.1,\"stop\":[\"x\"],\"num_ctx\":8192},"
        + "\"format\":{\"type\":\"object\"}}"));
    JsonNode chat = t.openAi();

    assertTrue(t.stream(), "Ollama streams unless told not to");
    assertEquals("data:image/png;base64,iVBORw0KGgo=", chat.at("/messages/0/content/0/image_url/url").asText());
    assertEquals("What is this?", chat.at("/messages/0/content/1/text").asText());
    assertEquals("{\"a\":1}", chat.at("/messages/1/tool_calls/0/function/arguments").asText());
    assertEquals(chat.at("/messages/1/tool_calls/0/id").asText(), chat.at("/messages/2/tool_call_id").asText(),
        "a tool result answers the call before it");
    assertEquals(7, chat.get("max_tokens").asInt());
    assertEquals(0.1, chat.get("temperature").asDouble());
    assertFalse(chat.has("num_ctx"), "server settings are not per request");
    assertEquals("json_schema", chat.at("/response_format/type").asText());
    assertTrue(chat.at("/stream_options/include_usage").asBoolean());
  }

  @Test
  void generateAndEmbeddings() throws Exception {
    JsonNode generate = OllamaApiRequests.generate(JSON.readTree("{\"model\":\"m\",\"system\":\"S\",\"prompt\":\"P\","
        + "\"stream\":false,\"format\":\"json\"}")).openAi();
    assertEquals("S", generate.at("/messages/0/content").asText());
    assertEquals("P", generate.at("/messages/1/content").asText());
    assertEquals("json_object", generate.at("/response_format/type").asText());
    assertTrue(OllamaApiRequests.onlyLoads(JSON.readTree("{\"model\":\"m\"}")));
    assertEquals(400, assertThrows(ApiException.class, () -> OllamaApiRequests.generate(
        JSON.readTree("{\"model\":\"m\",\"prompt\":\"p\",\"raw\":true}"))).status());

    assertEquals("[\"a\",\"b\"]", OllamaApiRequests.embed(JSON.readTree("{\"model\":\"m\",\"input\":[\"a\",\"b\"]}"),
        false).openAi().get("input").toString());
    assertEquals("\"a\"", OllamaApiRequests.embed(JSON.readTree("{\"model\":\"m\",\"prompt\":\"a\"}"), true)
        .openAi().get("input").toString());
  }

  @Test
  void keepAliveIsSecondsOrAGoDuration() throws Exception {
    assertEquals(java.util.Optional.of(java.time.Duration.ofMinutes(90)),
        OllamaApiRequests.keepAlive(JSON.readTree("{\"keep_alive\":\"1h30m\"}")));
    assertEquals(java.util.Optional.of(java.time.Duration.ZERO), OllamaApiRequests.keepAlive(JSON.readTree("{\"keep_alive\":0}")));
    assertEquals(java.util.Optional.of(java.time.Duration.ofSeconds(300)),
        OllamaApiRequests.keepAlive(JSON.readTree("{\"keep_alive\":\"300\"}")));
    assertTrue(OllamaApiRequests.keepAlive(JSON.readTree("{\"keep_alive\":\"-1m\"}")).orElseThrow().isNegative());
    assertEquals(OllamaApiRequests.MAX_KEEP_ALIVE, OllamaApiRequests.keepAlive(JSON.readTree("{\"keep_alive\":\"99999h\"}"))
        .orElseThrow());
    assertTrue(OllamaApiRequests.keepAlive(JSON.readTree("{}")).isEmpty());
    assertEquals(400, assertThrows(ApiException.class, () -> OllamaApiRequests.keepAlive(
        JSON.readTree("{\"keep_alive\":\"5 minutes\"}"))).status());
  }

  private static final String STREAM = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
      + "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":"
      + "{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n"
      + "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}}]}\n\n"
      + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
      + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n";

  @Test
  void streamedChatIsLinesWithTheToolCallWhole() throws Exception {
    OllamaApiAnswer answer = new OllamaApiAnswer(new OllamaApiRequests.Translated(null, "m",
        OllamaApiRequests.Kind.CHAT, true));
    String out = answer.push(Buffer.buffer(STREAM)).toString() + answer.finish();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.split("\n")) {
      lines.add(JSON.readTree(line));
    }

    assertEquals(3, lines.size(), out);
    assertEquals("Hi", lines.get(0).at("/message/content").asText());
    assertEquals(1, lines.get(1).at("/message/tool_calls/0/function/arguments/a").asInt());
    assertEquals("f", lines.get(1).at("/message/tool_calls/0/function/name").asText());
    JsonNode last = lines.get(2);
    assertTrue(last.get("done").asBoolean());
    assertEquals("stop", last.get("done_reason").asText());
    assertEquals(5, last.get("prompt_eval_count").asInt());
    assertEquals(3, last.get("eval_count").asInt());
    assertTrue(last.get("total_duration").asLong() >= last.get("eval_duration").asLong());
  }

  @Test
  void wholeGenerateAndErrors() throws Exception {
    OllamaApiAnswer whole = new OllamaApiAnswer(new OllamaApiRequests.Translated(null, "m",
        OllamaApiRequests.Kind.GENERATE, false));
    assertEquals(0, whole.push(Buffer.buffer("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ab\"},"
        + "\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n")).length());
    JsonNode answer = JSON.readTree(whole.finish().toString());
    assertEquals("ab", answer.get("response").asText());
    assertEquals("length", answer.get("done_reason").asText());

    OllamaApiAnswer streamed = new OllamaApiAnswer(new OllamaApiRequests.Translated(null, "m",
        OllamaApiRequests.Kind.CHAT, true));
    String out = streamed.push(Buffer.buffer("data: {\"error\":{\"code\":500,\"message\":\"boom\"}}\n\n")).toString()
        + streamed.finish();
    assertEquals("{\"error\":\"boom\"}\n", out);

    OllamaApiAnswer cut = new OllamaApiAnswer(new OllamaApiRequests.Translated(null, "m",
        OllamaApiRequests.Kind.CHAT, false));
    cut.push(Buffer.buffer("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"));
    assertEquals(502, assertThrows(ApiException.class, cut::finish).status());
  }
}
