package dev.magi.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import dev.magi.proxy.api.Operation;
import io.vertx.core.buffer.Buffer;

/**
 * Translates Ollama's NDJSON stream ({@code /api/chat}, {@code /api/generate}) into OpenAI SSE chunks:
 * the role in the first chunk, content deltas, whole tool calls as single deltas, a finish chunk with
 * {@code finish_reason}, a {@code choices: []} usage chunk when {@code include_usage} was asked for,
 * then {@code [DONE]}. A {@code {"error":"..."}} line becomes the in-band error event.
 */
final class OllamaStream implements StreamTranslator {

  /** Longest NDJSON line accepted from a backend. */
  static final int MAX_LINE_BYTES = 16 << 20;

  private final boolean chat;
  private final String modelId;
  private final boolean includeUsage;
  private final String id;
  private Buffer partial;
  private long created = -1;
  private boolean roleSent;
  private boolean sawEvent;
  private boolean terminal;
  private int toolCalls;
  private TokenCounts tokens;

  OllamaStream(Operation operation, String modelId, boolean includeUsage) {
    this.chat = operation == Operation.CHAT;
    this.modelId = modelId;
    this.includeUsage = includeUsage;
    this.id = OllamaChunks.randomId(chat ? "chatcmpl-" : "cmpl-");
  }

  @Override
  public Buffer push(Buffer piece) {
    Buffer data = partial == null ? piece : partial.appendBuffer(piece);
    ByteView bytes = ByteView.of(data);
    Buffer out = Buffer.buffer();
    int start = 0;
    for (int i = 0; i < bytes.length(); i++) {
      if (bytes.at(i) == '\n') {
        line(bytes, start, i, out);
        start = i + 1;
      }
    }
    partial = start < data.length() ? data.getBuffer(start, data.length()) : null;
    if (partial != null && partial.length() > MAX_LINE_BYTES) {
      throw new IllegalStateException("the backend sent a line longer than " + MAX_LINE_BYTES + " bytes");
    }
    return out;
  }

  @Override
  public TokenCounts tokens() {
    return tokens;
  }

  @Override
  public boolean sawEvent() {
    return sawEvent;
  }

  @Override
  public Buffer finish() {
    Buffer out = Buffer.buffer();
    if (partial != null) {
      line(ByteView.of(partial), 0, partial.length(), out);
      partial = null;
    }
    if (!terminal) {
      terminal = true;
      out.appendBuffer(SseEvents.error("stream_incomplete", "The backend ended the stream before it was complete."));
      sawEvent = true;
    }
    return out;
  }

  private void line(ByteView bytes, int start, int end, Buffer out) {
    if (terminal || isBlank(bytes, start, end)) {
      return;
    }
    JsonNode line = Json.parseOrNull(bytes.array(), bytes.offset() + start, end - start);
    if (line == null || !line.isObject()) {
      emit(out, SseEvents.error("bad_upstream_response", "The backend sent a line that is not JSON."));
      terminal = true;
      return;
    }
    JsonNode error = line.get("error");
    if (error != null && !error.isNull()) {
      String message = error.isTextual() ? error.asText() : error.path("message").asText("backend error");
      emit(out, SseEvents.error(new ApiException(500, "server_error", null, null, message)));
      terminal = true;
      return;
    }
    if (created < 0) {
      created = OllamaChunks.created(line);
    }
    if (chat) {
      chatLine(line, out);
    } else {
      generateLine(line, out);
    }
  }

  private void chatLine(JsonNode line, Buffer out) {
    JsonNode message = line.path("message");
    String thinking = message.path("thinking").asText("");
    if (!thinking.isEmpty()) {
      ObjectNode delta = Json.object();
      delta.put("reasoning_content", thinking);
      emit(out, chatChunk(delta, null));
    }
    String content = message.path("content").asText("");
    if (!content.isEmpty()) {
      ObjectNode delta = Json.object();
      delta.put("content", content);
      emit(out, chatChunk(delta, null));
    }
    JsonNode calls = message.get("tool_calls");
    if (calls != null && calls.isArray() && !calls.isEmpty()) {
      ObjectNode delta = Json.object();
      delta.set("tool_calls", OllamaChunks.toolCalls(calls, toolCalls, true));
      toolCalls += calls.size();
      emit(out, chatChunk(delta, null));
    }
    if (line.path("done").asBoolean(false)) {
      if (!roleSent) {
        ObjectNode delta = Json.object();
        delta.put("content", "");
        emit(out, chatChunk(delta, null));
      }
      emit(out, chatChunk(Json.object(), OllamaChunks.finishReason(line, toolCalls > 0)));
      end(line, "chat.completion.chunk", out);
    }
  }

  private void generateLine(JsonNode line, Buffer out) {
    String text = line.path("response").asText("");
    if (!text.isEmpty()) {
      emit(out, textChunk(text, null));
    }
    if (line.path("done").asBoolean(false)) {
      emit(out, textChunk("", OllamaChunks.finishReason(line, false)));
      end(line, "text_completion", out);
    }
  }

  private void end(JsonNode line, String object, Buffer out) {
    tokens = new TokenCounts(line.path("prompt_eval_count").asLong(0), line.path("eval_count").asLong(0));
    if (includeUsage) {
      ObjectNode usage = OllamaChunks.head(id, object, created, modelId);
      usage.putArray("choices");
      usage.set("usage", OllamaChunks.usage(line));
      emit(out, SseEvents.event(usage));
    }
    emit(out, SseEvents.DONE);
    terminal = true;
  }

  /** A chat chunk; the first one also carries {@code role: "assistant"}. */
  private Buffer chatChunk(ObjectNode delta, String finishReason) {
    if (!roleSent) {
      ObjectNode withRole = Json.object();
      withRole.put("role", "assistant");
      withRole.setAll(delta);
      delta = withRole;
      roleSent = true;
    }
    ObjectNode choice = Json.object();
    choice.put("index", 0);
    choice.set("delta", delta);
    return chunk("chat.completion.chunk", choice, finishReason);
  }

  private Buffer textChunk(String text, String finishReason) {
    ObjectNode choice = Json.object();
    choice.put("text", text);
    choice.put("index", 0);
    return chunk("text_completion", choice, finishReason);
  }

  /** One chunk around one choice: {@code logprobs} and {@code finish_reason} end the choice. */
  private Buffer chunk(String object, ObjectNode choice, String finishReason) {
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    ObjectNode chunk = OllamaChunks.head(id, object, created, modelId);
    chunk.putArray("choices").add(choice);
    if (includeUsage) {
      chunk.putNull("usage");
    }
    return SseEvents.event(chunk);
  }

  private void emit(Buffer out, Buffer event) {
    out.appendBuffer(event);
    sawEvent = true;
  }

  private static boolean isBlank(ByteView data, int start, int end) {
    for (int i = start; i < end; i++) {
      byte b = data.at(i);
      if (b != ' ' && b != '\r' && b != '\t') {
        return false;
      }
    }
    return true;
  }
}
