package dev.magi.proxy.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * What every face's answer made from an OpenAI chat stream shares. The pushed events (whole SSE
 * events; comments and events that are not JSON are skipped) are read here: the finish reason, the
 * usage counts and whether the stream ended complete are kept, and the face is told the text and the
 * tool-call fragments, writing its client's bytes to {@link #out}. How an answer ends is decided here
 * too: a backend's in-band error, or a stream that ended before {@code [DONE]}, becomes the face's
 * {@link #errorEvent} for a stream and an {@link ApiException} for a whole answer; a complete one
 * becomes the face's {@link #completed()}. Used on one event loop, for one attempt.
 */
public abstract class ChatStreamAnswer implements ClientFace.Answer {

  /** The client's bytes of the push under way; null between pushes. */
  protected Buffer out;
  /** The stream's finish reason ({@code stop}, {@code length}, {@code tool_calls}, ...), or null. */
  protected String finishReason;
  /** The usage chunk's prompt tokens, -1 before it came. */
  protected long promptTokens = -1;
  /** The usage chunk's completion tokens, -1 before it came. */
  protected long completionTokens = -1;
  /** The usage chunk's cached prompt tokens. */
  protected long cachedTokens;
  /** Whether the stream ended complete ({@code data: [DONE]}). */
  protected boolean done;
  /** Whether the answer's last bytes have been given. */
  protected boolean ended;
  /** What the answer fails with: the backend's in-band error, or its stream cut short; null while it does not. */
  protected ApiException failure;

  @Override
  public final Buffer push(Buffer events) {
    out = Buffer.buffer();
    for (String line : events.toString(StandardCharsets.UTF_8).split("\r?\n")) {
      if (ended || failure != null || complete()) {
        break;
      }
      if (line.startsWith("data:")) {
        data(line.substring(5).trim());
      }
    }
    Buffer given = out;
    out = null;
    return whole() ? Buffer.buffer() : given;
  }

  @Override
  public boolean complete() {
    return false;
  }

  /**
   * The answer's last bytes: the face's {@link #completed()} when the stream ended complete (or the
   * face's answer is {@linkplain #complete() complete} before it), else its {@link #errorEvent}.
   *
   * @throws ApiException the failure, for a whole answer
   */
  @Override
  public final Buffer finish() {
    if (ended) {
      return Buffer.buffer();
    }
    if (failure == null && !done && !complete()) {
      failure = incomplete();
    }
    ended = true;
    if (failure == null) {
      return completed();
    }
    if (whole()) {
      throw failure;
    }
    return errorEvent(failure);
  }

  /** What an answer fails with when the backend's stream ended before it was complete (in the face's words). */
  protected ApiException incomplete() {
    return ApiException.badGateway("The backend ended the stream before it was complete.");
  }

  /** Before anything the stream's first event says (and again before each event after it). */
  protected void started() {
  }

  /** A piece of the answer's text, not empty. */
  protected abstract void text(String piece);

  /**
   * A fragment of tool call {@code index}: the first carries its {@code id} and {@code name} (either
   * may be empty when the backend left it out), later ones more of its {@code arguments}.
   */
  protected abstract void toolCall(int index, String id, String name, String arguments);

  /** The last bytes of an answer that ended complete: its closing events, or the whole body. */
  protected abstract Buffer completed();

  /** The face's event that ends a stream with {@code failure}. */
  protected abstract Buffer errorEvent(ApiException failure);

  private void data(String data) {
    if (data.equals("[DONE]")) {
      done = true;
      return;
    }
    JsonNode chunk = Json.parseOrNull(Buffer.buffer(data));
    if (chunk == null) {
      return;
    }
    started();
    JsonNode error = chunk.get("error");
    if (error != null && !error.isNull()) {
      failure = new ApiException(status(error), "server_error", null, "upstream_error",
          error.path("message").asText("The backend failed during the answer."));
      if (!whole()) {
        ended = true;
        out.appendBuffer(errorEvent(failure));
      }
      return;
    }
    JsonNode usage = chunk.get("usage");
    if (usage != null && usage.isObject()) {
      promptTokens = usage.path("prompt_tokens").asLong(0);
      completionTokens = usage.path("completion_tokens").asLong(0);
      cachedTokens = usage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
    }
    JsonNode choice = chunk.path("choices").path(0);
    if (choice.isMissingNode()) {
      return;
    }
    JsonNode delta = choice.path("delta");
    JsonNode text = delta.get("content");
    if (text != null && text.isTextual() && !text.asText().isEmpty()) {
      text(text.asText());
    }
    if (delta.get("tool_calls") instanceof ArrayNode calls) {
      for (JsonNode call : calls) {
        JsonNode function = call.path("function");
        toolCall(call.path("index").asInt(0), call.path("id").asText(""), function.path("name").asText(""),
            function.path("arguments").asText(""));
      }
    }
    JsonNode reason = choice.get("finish_reason");
    if (reason != null && reason.isTextual()) {
      finishReason = reason.asText();
    }
  }

  /** The status an in-band error carries (llama-server's integer {@code code}), else 502. */
  private static int status(JsonNode error) {
    JsonNode code = error.get("code");
    return code != null && code.isInt() && code.asInt() >= 400 && code.asInt() < 600 ? code.asInt() : 502;
  }
}
