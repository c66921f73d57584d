package dev.magi.gateway.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ClientFace;
import dev.magi.proxy.api.ChatStreamAnswer;
import dev.magi.proxy.api.Json;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One answer of the Messages API, made from a backend's OpenAI chat stream: Anthropic's named events
 * ({@code message_start}, {@code content_block_start}/{@code _delta}/{@code _stop}, {@code message_delta},
 * {@code message_stop}) for a client that asked for a stream, or one {@code message} object at the end
 * for one that did not.
 *
 * <p>Text becomes {@code text} blocks and tool calls {@code tool_use} blocks, in the order they come.
 * Stop sequences are applied here: text that could still be the start of one is held back until it
 * cannot, and the first one met ends the answer with {@code stop_reason: "stop_sequence"} and the
 * sequence itself (the proxy then lets go of the backend). Token counts come from the stream's usage
 * chunk; a stream ended early by a stop sequence has none, and its output tokens are the content
 * events it sent (llama-server sends one a token).
 *
 * <p>Used on one event loop, for one attempt.
 */
final class AnthropicAnswer extends ChatStreamAnswer {

  private final boolean whole;
  private final String model;
  private final List<String> stopSequences;
  private final int holdBack;
  private final String id = "msg_" + Long.toHexString(ThreadLocalRandom.current().nextLong())
      + Long.toHexString(ThreadLocalRandom.current().nextLong());

  /** Whole-answer mode: the blocks so far. */
  private final ArrayNode content = Json.array();
  /** The open block's index, -1 when none is open. */
  private int openIndex = -1;
  /** Whether the open block is a text block (else a tool call). */
  private boolean openIsText;
  /** The OpenAI index of the tool call the open block carries. */
  private int openToolIndex = -1;
  /** Whole-answer mode: the open block's text or tool arguments. */
  private final StringBuilder openBody = new StringBuilder();
  private int blocks;
  /** Text received but not yet given out: it may be the start of a stop sequence. */
  private final StringBuilder pending = new StringBuilder();
  private boolean started;
  private String stopSequence;
  private long contentEvents;

  AnthropicAnswer(boolean whole, String model, List<String> stopSequences) {
    this.whole = whole;
    this.model = model;
    this.stopSequences = stopSequences;
    this.holdBack = stopSequences.stream().mapToInt(String::length).max().orElse(1) - 1;
  }

  @Override
  public boolean whole() {
    return whole;
  }

  @Override
  public boolean complete() {
    return stopSequence != null;
  }

  /** The text still held back, the open block's end, then {@code message_delta} and {@code message_stop}; or the message. */
  @Override
  protected Buffer completed() {
    Buffer out = Buffer.buffer();
    start(out);
    giveText(pending.toString(), out);
    pending.setLength(0);
    closeBlock(out);
    if (whole) {
      return Json.buffer(message());
    }
    ObjectNode delta = Json.object().put("type", "message_delta");
    delta.putObject("delta").put("stop_reason", stopReason()).put("stop_sequence", stopSequence);
    delta.set("usage", usage());
    out.appendBuffer(ClientFace.namedEvent("message_delta", delta));
    out.appendBuffer(ClientFace.namedEvent("message_stop", Json.object().put("type", "message_stop")));
    return out;
  }

  @Override
  protected Buffer errorEvent(ApiException failure) {
    return AnthropicErrors.event(failure);
  }

  /** {@code message_start}, before anything else. */
  private void start(Buffer out) {
    if (started) {
      return;
    }
    started = true;
    if (!whole) {
      ObjectNode message = shell();
      message.set("content", Json.array());
      message.putNull("stop_reason").putNull("stop_sequence");
      message.putObject("usage").put("input_tokens", 0).put("output_tokens", 0);
      ObjectNode event = Json.object().put("type", "message_start");
      event.set("message", message);
      out.appendBuffer(ClientFace.namedEvent("message_start", event));
      // As Anthropic's own streams do; silences later are filled with SSE comments, which every client skips.
      out.appendBuffer(ClientFace.namedEvent("ping", Json.object().put("type", "ping")));
    }
  }

  @Override
  protected void started() {
    start(out);
  }

  @Override
  protected void text(String piece) {
    contentEvents++;
    text(piece, out);
  }

  @Override
  protected void toolCall(int index, String callId, String name, String arguments) {
    contentEvents++;
    toolCall(index, callId, name, arguments, out);
  }

  /** Text, less what may begin a stop sequence; a stop sequence met ends the answer. */
  private void text(String piece, Buffer out) {
    pending.append(piece);
    if (stopSequences.isEmpty()) {
      giveText(pending.toString(), out);
      pending.setLength(0);
      return;
    }
    int earliest = -1;
    String met = null;
    for (String stop : stopSequences) {
      int at = pending.indexOf(stop);
      if (at >= 0 && (earliest < 0 || at < earliest)) {
        earliest = at;
        met = stop;
      }
    }
    if (met != null) {
      giveText(pending.substring(0, earliest), out);
      pending.setLength(0);
      stopSequence = met;
      return;
    }
    int keep = heldSuffix();
    giveText(pending.substring(0, pending.length() - keep), out);
    pending.delete(0, pending.length() - keep);
  }

  /** How many of the pending text's last characters may begin a stop sequence. */
  private int heldSuffix() {
    for (int length = Math.min(holdBack, pending.length()); length > 0; length--) {
      String suffix = pending.substring(pending.length() - length);
      for (String stop : stopSequences) {
        if (stop.startsWith(suffix)) {
          return length;
        }
      }
    }
    return 0;
  }

  private void giveText(String text, Buffer out) {
    if (text.isEmpty()) {
      return;
    }
    if (openIndex < 0 || !openIsText) {
      closeBlock(out);
      openBlock(Json.object().put("type", "text").put("text", ""), true, -1, out);
    }
    if (whole) {
      openBody.append(text);
    } else {
      ObjectNode delta = Json.object().put("type", "content_block_delta").put("index", openIndex);
      delta.putObject("delta").put("type", "text_delta").put("text", text);
      out.appendBuffer(ClientFace.namedEvent("content_block_delta", delta));
    }
  }

  /** A tool call's first fragment opens a {@code tool_use} block; later ones add to its input. */
  private void toolCall(int index, String callId, String name, String arguments, Buffer out) {
    if (openIndex < 0 || openIsText || openToolIndex != index) {
      // Text held back for a stop sequence goes out before the call: it came first.
      giveText(pending.toString(), out);
      pending.setLength(0);
      closeBlock(out);
      ObjectNode block = Json.object().put("type", "tool_use")
          .put("id", callId.isEmpty() ? "toolu_" + Long.toHexString(ThreadLocalRandom.current().nextLong()) : callId)
          .put("name", name);
      block.putObject("input");
      openBlock(block, false, index, out);
    }
    if (arguments.isEmpty()) {
      return;
    }
    if (whole) {
      openBody.append(arguments);
    } else {
      ObjectNode delta = Json.object().put("type", "content_block_delta").put("index", openIndex);
      delta.putObject("delta").put("type", "input_json_delta").put("partial_json", arguments);
      out.appendBuffer(ClientFace.namedEvent("content_block_delta", delta));
    }
  }

  private void openBlock(ObjectNode block, boolean text, int toolIndex, Buffer out) {
    openIndex = blocks++;
    openIsText = text;
    openToolIndex = toolIndex;
    openBody.setLength(0);
    if (whole) {
      content.add(block);
    } else {
      ObjectNode start = Json.object().put("type", "content_block_start").put("index", openIndex);
      start.set("content_block", block);
      out.appendBuffer(ClientFace.namedEvent("content_block_start", start));
    }
  }

  private void closeBlock(Buffer out) {
    if (openIndex < 0) {
      return;
    }
    if (whole) {
      ObjectNode block = (ObjectNode) content.get(openIndex);
      if (openIsText) {
        block.put("text", openBody.toString());
      } else {
        JsonNode input = openBody.length() == 0 ? Json.object() : Json.parseOrNull(Buffer.buffer(openBody.toString()));
        block.set("input", input instanceof ObjectNode ? input : Json.object());
      }
    } else {
      out.appendBuffer(ClientFace.namedEvent("content_block_stop",
          Json.object().put("type", "content_block_stop").put("index", openIndex)));
    }
    openIndex = -1;
    openToolIndex = -1;
  }

  private String stopReason() {
    if (stopSequence != null) {
      return "stop_sequence";
    }
    if (finishReason == null) {
      return "end_turn";
    }
    return switch (finishReason) {
      case "length" -> "max_tokens";
      case "tool_calls", "function_call" -> "tool_use";
      case "content_filter" -> "refusal";
      default -> "end_turn";
    };
  }

  private ObjectNode usage() {
    ObjectNode usage = Json.object();
    long cached = Math.max(0, cachedTokens);
    usage.put("input_tokens", promptTokens < 0 ? 0 : Math.max(0, promptTokens - cached));
    usage.put("cache_creation_input_tokens", 0);
    usage.put("cache_read_input_tokens", cached);
    usage.put("output_tokens", completionTokens < 0 ? contentEvents : completionTokens);
    return usage;
  }

  private ObjectNode shell() {
    ObjectNode message = Json.object();
    message.put("id", id).put("type", "message").put("role", "assistant").put("model", model);
    return message;
  }

  private ObjectNode message() {
    ObjectNode message = shell();
    message.set("content", content);
    message.put("stop_reason", stopReason()).put("stop_sequence", stopSequence);
    message.set("usage", usage());
    return message;
  }
}
