package dev.magi.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.Json;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Builds OpenAI response objects out of Ollama lines: ids, timestamps, tool calls, finish reasons and
 * usage, the same way for whole responses and for stream chunks (protocols.md §5, second table).
 */
final class OllamaChunks {

  static final String FINGERPRINT = "fp_ollama";
  private static final String ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private OllamaChunks() {
  }

  /** A random id with a prefix, e.g. {@code chatcmpl-} + 24 characters. */
  static String randomId(String prefix) {
    StringBuilder id = new StringBuilder(prefix);
    for (int i = 0; i < 24; i++) {
      id.append(ID_CHARS.charAt(RANDOM.nextInt(ID_CHARS.length())));
    }
    return id.toString();
  }

  /** Unix seconds of Ollama's RFC 3339 {@code created_at}; now when it is absent or unreadable. */
  static long created(JsonNode line) {
    String text = line.path("created_at").asText("");
    try {
      return OffsetDateTime.parse(text).toEpochSecond();
    } catch (DateTimeParseException e) {
      return Instant.now().getEpochSecond();
    }
  }

  /** The head every response object starts with: id, object, created, model, fingerprint. */
  static ObjectNode head(String id, String object, long created, String model) {
    ObjectNode head = Json.object();
    head.put("id", id).put("object", object).put("created", created).put("model", model)
        .put("system_fingerprint", FINGERPRINT);
    return head;
  }

  /** OpenAI's {@code finish_reason} for Ollama's {@code done_reason}. */
  static String finishReason(JsonNode line, boolean toolCallsSeen) {
    String reason = line.path("done_reason").asText("stop");
    if (reason.equals("length")) {
      return "length";
    }
    return toolCallsSeen ? "tool_calls" : "stop";
  }

  /** {@code usage} from {@code prompt_eval_count} and {@code eval_count} (absent counts are 0). */
  static ObjectNode usage(JsonNode line) {
    long prompt = line.path("prompt_eval_count").asLong(0);
    long completion = line.path("eval_count").asLong(0);
    ObjectNode usage = Json.object();
    usage.put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
    return usage;
  }

  /**
   * OpenAI tool calls for Ollama's, numbered from {@code firstIndex}: arguments objects become JSON
   * text and calls without an id get {@code call_<random>}.
   *
   * @param withIndex whether to add {@code index} (stream deltas need it)
   */
  static ArrayNode toolCalls(JsonNode calls, int firstIndex, boolean withIndex) {
    ArrayNode out = Json.array();
    int index = firstIndex;
    for (JsonNode call : calls) {
      ObjectNode item = out.addObject();
      if (withIndex) {
        item.put("index", index);
      }
      index++;
      String id = call.path("id").asText("");
      item.put("id", id.isEmpty() ? randomId("call_") : id);
      item.put("type", "function");
      ObjectNode function = item.putObject("function");
      function.put("name", call.path("function").path("name").asText(""));
      JsonNode arguments = call.path("function").get("arguments");
      function.put("arguments", arguments == null || arguments.isNull() ? "{}"
          : arguments.isTextual() ? arguments.asText() : Json.string(arguments));
    }
    return out;
  }
}
