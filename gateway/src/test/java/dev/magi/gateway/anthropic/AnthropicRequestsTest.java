package dev.magi.gateway.anthropic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.proxy.api.ApiException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Messages request → OpenAI chat translation, without sockets. */
class AnthropicRequestsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static AnthropicRequests.Translated translate(String json) throws Exception {
    return AnthropicRequests.toChat(JSON.readTree(json));
  }

  private static ApiException refused(String json) {
    return assertThrows(ApiException.class, () -> translate(json));
  }

  @Test
  void plainRequestBecomesAStreamedChatWithUsage() throws Exception {
    AnthropicRequests.Translated t = translate("{\"model\":\"m\",\"max_tokens\":16,\"system\":\"Be brief.\","
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,"
        + "\"stop_sequences\":[\"\\n\\n\"],\"metadata\":{\"user_id\":\"u1\"}}");

    assertEquals(JSON.readTree("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":16,\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,"
        + "\"user\":\"u1\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"), t.chat());
    assertEquals("m", t.model());
    assertFalse(t.stream());
    assertEquals(List.of("\n\n"), t.stopSequences());
  }

  @Test
  void blocksToolUseAndToolResults() throws Exception {
    AnthropicRequests.Translated t = translate("{\"model\":\"m\",\"max_tokens\":16,\"stream\":true,"
        + "\"system\":[{\"type\":\"text\",\"text\":\"A\"},{\"type\":\"text\",\"text\":\"B\"}],"
        + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather?\"}]},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"s\"},"
        + "{\"type\":\"text\",\"text\":\"Let me look.\"},"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}}]},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"sunny\"}]},{\"type\":\"text\",\"text\":\"Thanks\"}]},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\",\"is_error\":true,"
        + "\"content\":\"timeout\"}]}],"
        + "\"tools\":[{\"name\":\"get_weather\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\"}}],"
        + "\"tool_choice\":{\"type\":\"any\",\"disable_parallel_tool_use\":true}}");
    JsonNode chat = t.chat();

    assertTrue(t.stream());
    assertEquals("A\n\nB", chat.at("/messages/0/content").asText());
    assertEquals("Weather?", chat.at("/messages/1/content").asText());
    JsonNode assistant = chat.at("/messages/2");
    assertEquals("Let me look.", assistant.get("content").asText(), "thinking is left out");
    assertEquals(JSON.readTree("[{\"id\":\"toolu_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
        + "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]"), assistant.get("tool_calls"));
    assertEquals(JSON.readTree("{\"role\":\"tool\",\"tool_call_id\":\"toolu_1\",\"content\":\"sunny\"}"),
        chat.at("/messages/3"), "a tool result comes first, right after the call");
    assertEquals("Thanks", chat.at("/messages/4/content").asText());
    assertEquals("Error: timeout", chat.at("/messages/5/content").asText());
    assertEquals(JSON.readTree("[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"d\","
        + "\"parameters\":{\"type\":\"object\"}}}]"), chat.get("tools"));
    assertEquals("required", chat.get("tool_choice").asText());
    assertFalse(chat.get("parallel_tool_calls").asBoolean());
  }

  @Test
  void namedToolChoiceAndBase64Image() throws Exception {
    JsonNode chat = translate("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":["
        + "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"AAAA\"}},"
        + "{\"type\":\"text\",\"text\":\"What is this?\"}]}],\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"}}").chat();

    assertEquals("data:image/png;base64,AAAA", chat.at("/messages/0/content/0/image_url/url").asText());
    assertEquals("What is this?", chat.at("/messages/0/content/1/text").asText());
    assertEquals("f", chat.at("/tool_choice/function/name").asText());
  }

  @Test
  void refusesWhatItCannotCarry() {
    assertTrue(refused("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").getMessage()
        .contains("max_tokens"));
    assertEquals("max_tokens", refused("{\"model\":\"m\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"Hi\"}]}").param());
    assertEquals("messages", refused("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}").param());
    assertEquals("messages.0.role", refused("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"system\","
        + "\"content\":\"Hi\"}]}").param());
    assertTrue(refused("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
        + "\"image\",\"source\":{\"type\":\"url\",\"url\":\"http://169.254.169.254/\"}}]}]}").getMessage()
        .contains("does not fetch URLs"));
    assertTrue(refused("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
        + "\"document\",\"source\":{}}]}]}").getMessage().contains("'document' blocks are not supported"));
    assertEquals("tools.0.type", refused("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"Hi\"}],\"tools\":[{\"type\":\"bash_20250124\",\"name\":\"bash\"}]}").param());
    assertEquals("stop_sequences", refused("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"Hi\"}],\"stop_sequences\":[\"" + "x".repeat(AnthropicRequests.MAX_STOP_LENGTH + 1) + "\"]}")
        .param());
    assertEquals(400, refused("[1,2]").status());
  }
}
