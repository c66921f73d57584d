package dev.magi.gateway.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ChatStreamAnswer;
import dev.magi.proxy.api.Json;
import io.vertx.core.buffer.Buffer;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * One answer of Ollama's {@code /api/chat} or {@code /api/generate}, made from a backend's OpenAI chat
 * stream: NDJSON lines ({@code "done": false} with each piece of text; a tool call whole in a line of
 * its own once its arguments are complete, as Ollama sends them; a last {@code "done": true} line with
 * {@code done_reason} and the counts and durations in nanoseconds), or one object for
 * {@code "stream": false}. A failure after the first line is a {@code {"error":"..."}} line.
 *
 * <p>Used on one event loop, for one attempt.
 */
final class OllamaApiAnswer extends ChatStreamAnswer {

  private final OllamaApiRequests.Translated request;
  private final boolean chat;
  private final long startNanos = System.nanoTime();
  private long firstNanos;
  private final StringBuilder text = new StringBuilder();
  /** Tool calls being received: name, id, arguments so far; sent whole when the next begins or the stream ends. */
  private final List<String[]> calls = new ArrayList<>();
  private int sentCalls;
  private int openCall = -1;

  OllamaApiAnswer(OllamaApiRequests.Translated request) {
    this.request = request;
    this.chat = request.kind() == OllamaApiRequests.Kind.CHAT;
  }

  @Override
  public boolean whole() {
    return !request.stream();
  }

  @Override
  protected ApiException incomplete() {
    return ApiException.badGateway("the backend ended the stream before it was complete");
  }

  @Override
  protected Buffer errorEvent(ApiException failure) {
    return line(OllamaApiFace.error(failure));
  }

  /** The tool calls not sent yet, then the {@code done} line with the counts; or the whole answer. */
  @Override
  protected Buffer completed() {
    Buffer last = Buffer.buffer();
    out = last;
    sendCalls();
    out = null;
    ObjectNode end = head();
    if (whole()) {
      if (chat) {
        ObjectNode message = end.putObject("message").put("role", "assistant").put("content", text.toString());
        if (!calls.isEmpty()) {
          message.set("tool_calls", toolCalls(0));
        }
      } else {
        end.put("response", text.toString());
      }
    } else if (chat) {
      end.putObject("message").put("role", "assistant").put("content", "");
    } else {
      end.put("response", "");
    }
    end.put("done", true).put("done_reason", "length".equals(finishReason) ? "length" : "stop");
    long now = System.nanoTime();
    long first = firstNanos == 0 ? now : firstNanos;
    end.put("total_duration", now - startNanos).put("load_duration", 0)
        .put("prompt_eval_count", Math.max(0, promptTokens)).put("prompt_eval_duration", first - startNanos)
        .put("eval_count", Math.max(0, completionTokens)).put("eval_duration", now - first);
    if (whole()) {
      return Json.buffer(end);
    }
    return last.appendBuffer(line(end));
  }

  /** {@code json} as one NDJSON line. */
  static Buffer line(ObjectNode json) {
    return Json.buffer(json).appendString("\n");
  }

  @Override
  protected void started() {
    if (firstNanos == 0) {
      firstNanos = System.nanoTime();
    }
  }

  @Override
  protected void text(String piece) {
    sendCalls();
    text.append(piece);
    if (!whole()) {
      ObjectNode line = head();
      if (chat) {
        line.putObject("message").put("role", "assistant").put("content", piece);
      } else {
        line.put("response", piece);
      }
      line.put("done", false);
      out.appendBuffer(line(line));
    }
  }

  @Override
  protected void toolCall(int index, String id, String name, String arguments) {
    if (index != openCall) {
      openCall = index;
      calls.add(new String[] {name, id, ""});
    }
    String[] call = calls.get(calls.size() - 1);
    call[2] += arguments;
  }

  /** Sends the tool calls received whole so far (all but the one still open, unless the stream is done). */
  private void sendCalls() {
    if (whole() || !chat || sentCalls == calls.size()) {
      openCall = -1;
      return;
    }
    ObjectNode line = head();
    ObjectNode message = line.putObject("message").put("role", "assistant").put("content", "");
    message.set("tool_calls", toolCalls(sentCalls));
    line.put("done", false);
    out.appendBuffer(line(line));
    sentCalls = calls.size();
    openCall = -1;
  }

  /** Calls from {@code from} on, as Ollama writes them: arguments as an object. */
  private ArrayNode toolCalls(int from) {
    ArrayNode list = Json.array();
    for (int i = from; i < calls.size(); i++) {
      String[] call = calls.get(i);
      JsonNode arguments = call[2].isEmpty() ? Json.object() : Json.parseOrNull(Buffer.buffer(call[2]));
      ObjectNode entry = list.addObject();
      if (!call[1].isEmpty()) {
        entry.put("id", call[1]);
      }
      ObjectNode function = entry.putObject("function").put("index", i).put("name", call[0]);
      function.set("arguments", arguments instanceof ObjectNode ? arguments : Json.object());
    }
    return list;
  }

  private ObjectNode head() {
    return Json.object().put("model", request.model())
        .put("created_at", OffsetDateTime.now(ZoneOffset.UTC).toString());
  }
}
