package dev.magi.proxy.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads whole OpenAI chat-stream events (what a {@link ClientFace.Answer} is given) and tells a
 * {@link Listener} what they say, in order: text, tool-call fragments, the finish reason, usage, an
 * in-band error, the end. Comments and events that are not JSON are skipped.
 */
public final class ChatChunks {

  private ChatChunks() {
  }

  /** What a chat stream says, piece by piece. */
  public interface Listener {
    /** Whether to stop reading the events given (the answer is complete or failed). */
    boolean stopped();

    /** Before anything else an event says: the first JSON event of the stream, and every one after. */
    void event();

    /** A piece of the answer's text, not empty. */
    void text(String piece);

    /**
     * A fragment of tool call {@code index}: the first carries its {@code id} and {@code name} (either
     * may be empty when the backend left it out), later ones more of its {@code arguments}.
     */
    void toolCall(int index, String id, String name, String arguments);

    /** The choice's finish reason ({@code stop}, {@code length}, {@code tool_calls}, ...). */
    void finish(String reason);

    /** The usage chunk's counts ({@code cached} is {@code prompt_tokens_details.cached_tokens}, else 0). */
    void usage(long prompt, long completion, long cached);

    /** An in-band error event ({@code {"error":{...}}}): the stream is over. */
    void error(JsonNode error);

    /** {@code data: [DONE]}: the stream ended complete. */
    void done();
  }

  /** Reads {@code events}, whole SSE events, telling {@code listener}. */
  public static void read(Buffer events, Listener listener) {
    for (String line : events.toString(StandardCharsets.UTF_8).split("\r?\n")) {
      if (listener.stopped()) {
        return;
      }
      if (!line.startsWith("data:")) {
        continue;
      }
      String data = line.substring(5).trim();
      if (data.equals("[DONE]")) {
        listener.done();
        continue;
      }
      JsonNode chunk = Json.parseOrNull(Buffer.buffer(data));
      if (chunk == null) {
        continue;
      }
      listener.event();
      if (chunk.hasNonNull("error")) {
        listener.error(chunk.get("error"));
      } else {
        chunk(chunk, listener);
      }
    }
  }

  private static void chunk(JsonNode chunk, Listener listener) {
    JsonNode usage = chunk.get("usage");
    if (usage != null && usage.isObject()) {
      listener.usage(usage.path("prompt_tokens").asLong(0), usage.path("completion_tokens").asLong(0),
          usage.path("prompt_tokens_details").path("cached_tokens").asLong(0));
    }
    JsonNode choice = chunk.path("choices").path(0);
    if (choice.isMissingNode()) {
      return;
    }
    JsonNode delta = choice.path("delta");
    JsonNode text = delta.get("content");
    if (text != null && text.isTextual() && !text.asText().isEmpty()) {
      listener.text(text.asText());
    }
    if (delta.get("tool_calls") instanceof ArrayNode calls) {
      for (JsonNode call : calls) {
        JsonNode function = call.path("function");
        listener.toolCall(call.path("index").asInt(0), call.path("id").asText(""), function.path("name").asText(""),
            function.path("arguments").asText(""));
      }
    }
    JsonNode reason = choice.get("finish_reason");
    if (reason != null && reason.isTextual()) {
      listener.finish(reason.asText());
    }
  }

  /** The status an in-band error carries (llama-server's integer {@code code}), else 502. */
  public static int status(JsonNode error) {
    JsonNode code = error.get("code");
    return code != null && code.isInt() && code.asInt() >= 400 && code.asInt() < 600 ? code.asInt() : 502;
  }

  /** An SSE event with a name, as Anthropic's and the Responses API send them: {@code event: <name>\ndata: <json>\n\n}. */
  public static Buffer namedEvent(String name, JsonNode data) {
    return Buffer.buffer(64).appendString("event: ").appendString(name).appendString("\ndata: ")
        .appendBuffer(Json.buffer(data)).appendString("\n\n");
  }
}
