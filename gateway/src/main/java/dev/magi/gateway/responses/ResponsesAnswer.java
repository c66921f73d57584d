package dev.magi.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ClientFace;
import dev.magi.proxy.api.ChatStreamAnswer;
import dev.magi.proxy.api.Json;
import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * One answer of the Responses API, made from a backend's OpenAI chat stream: a {@code response} object
 * whose {@code output} holds a {@code message} item for the text and a {@code function_call} item for
 * each tool call, in the order they came; streamed as the Responses API's events, each with its
 * {@code sequence_number} ({@code response.created}, {@code response.in_progress}, a {@code file_search_call}
 * item when a file_search tool ran, the items' added,
 * delta and done events, then {@code response.completed}, {@code response.incomplete} when
 * {@code max_output_tokens} cut it, or {@code response.failed}), or whole at the end.
 *
 * <p>A finished response is handed to {@code keep} (the store, when the request asked to be stored).
 * Used on one event loop, for one attempt.
 */
final class ResponsesAnswer extends ChatStreamAnswer {

  private final ResponsesRequests.Translated request;
  /** What a file_search tool found before the model answered, or null. */
  private final FileSearchResults search;
  private final Consumer<ObjectNode> keep;
  private final String id = ResponseIds.next("resp_");
  private final long createdAt = System.currentTimeMillis() / 1000;
  private final ArrayNode output = Json.array();
  private long sequence;
  /** The open item, or null; {@code openIsText} says whether it is the message item. */
  private ObjectNode open;
  private boolean openIsText;
  private int openToolIndex = -1;
  private final StringBuilder openBody = new StringBuilder();
  private boolean started;

  ResponsesAnswer(ResponsesRequests.Translated request, FileSearchResults search, Consumer<ObjectNode> keep) {
    this.request = request;
    this.search = search;
    this.keep = keep;
  }

  @Override
  public boolean whole() {
    return !request.stream();
  }

  /** The open item's end, then {@code response.completed} (or {@code .incomplete}); or the response. Kept. */
  @Override
  protected Buffer completed() {
    out = Buffer.buffer();
    start();
    closeItem();
    boolean cut = "length".equals(finishReason);
    ObjectNode response = response(cut ? "incomplete" : "completed");
    if (cut) {
      response.putObject("incomplete_details").put("reason", "max_output_tokens");
    }
    keep.accept(response);
    if (whole()) {
      return Json.buffer(response);
    }
    ObjectNode event = Json.object();
    event.set("response", response);
    emit(cut ? "response.incomplete" : "response.completed", event);
    return out;
  }

  @Override
  protected Buffer errorEvent(ApiException failure) {
    return failed(failure);
  }

  /**
   * The stream's last events for a failure after it began: {@code response.failed} (after
   * {@code response.created} when nothing came before). The answer is over.
   */
  Buffer failed(ApiException error) {
    Buffer around = out;
    out = Buffer.buffer();
    ended = true;
    start();
    ObjectNode response = response("failed");
    response.putObject("error").put("code", "server_error").put("message", error.getMessage());
    ObjectNode event = Json.object();
    event.set("response", response);
    emit("response.failed", event);
    Buffer events = out;
    out = around;
    return events;
  }

  @Override
  protected void started() {
    start();
  }

  @Override
  protected void text(String piece) {
    if (open == null || !openIsText) {
      closeItem();
      openItem(Json.object().put("id", ResponseIds.next("msg_")).put("type", "message").put("status", "in_progress")
          .put("role", "assistant"), true, -1);
      ObjectNode added = itemEvent();
      added.put("content_index", 0);
      added.set("part", textPart(""));
      emit("response.content_part.added", added);
    }
    openBody.append(piece);
    ObjectNode delta = itemEvent();
    delta.put("content_index", 0).put("delta", piece);
    delta.putArray("logprobs");
    emit("response.output_text.delta", delta);
  }

  @Override
  protected void toolCall(int index, String callId, String name, String arguments) {
    if (open == null || openIsText || openToolIndex != index) {
      closeItem();
      openItem(Json.object().put("id", ResponseIds.next("fc_")).put("type", "function_call")
          .put("status", "in_progress").put("arguments", "")
          .put("call_id", callId.isEmpty() ? ResponseIds.next("call_") : callId).put("name", name), false, index);
    }
    if (!arguments.isEmpty()) {
      openBody.append(arguments);
      ObjectNode delta = itemEvent();
      delta.put("delta", arguments);
      emit("response.function_call_arguments.delta", delta);
    }
  }

  /** {@code response.created} and {@code response.in_progress}, before anything else. */
  private void start() {
    if (started) {
      return;
    }
    started = true;
    ObjectNode event = Json.object();
    event.set("response", response("in_progress"));
    emit("response.created", event);
    event = Json.object();
    event.set("response", response("in_progress"));
    emit("response.in_progress", event);
    if (search != null) {
      fileSearchCall();
    }
  }

  /**
   * The {@code file_search_call} item, first in the output: the search ran before the model was asked,
   * so its events all come at once.
   */
  private void fileSearchCall() {
    String itemId = ResponseIds.next("fs_");
    ObjectNode added = Json.object().put("output_index", output.size());
    added.set("item", search.item(itemId, "in_progress"));
    emit("response.output_item.added", added);
    for (String stage : new String[] {"in_progress", "searching", "completed"}) {
      emit("response.file_search_call." + stage, Json.object().put("output_index", output.size())
          .put("item_id", itemId));
    }
    ObjectNode item = search.item(itemId, "completed");
    ObjectNode done = Json.object().put("output_index", output.size());
    done.set("item", item);
    emit("response.output_item.done", done);
    output.add(item);
  }

  private void openItem(ObjectNode item, boolean text, int toolIndex) {
    open = item;
    openIsText = text;
    openToolIndex = toolIndex;
    openBody.setLength(0);
    if (text) {
      item.putArray("content");
    }
    ObjectNode added = Json.object().put("output_index", output.size());
    added.set("item", item.deepCopy());
    emit("response.output_item.added", added);
  }

  private void closeItem() {
    if (open == null) {
      return;
    }
    String body = openBody.toString();
    if (openIsText) {
      ObjectNode textDone = itemEvent();
      textDone.put("content_index", 0).put("text", body);
      textDone.putArray("logprobs");
      emit("response.output_text.done", textDone);
      ObjectNode part = textPart(body);
      if (search != null) {
        // The files the answer drew on, cited at its end (the model does not say where it used them).
        ArrayNode citations = search.citations(body.length());
        for (int i = 0; i < citations.size(); i++) {
          ObjectNode annotation = itemEvent().put("content_index", 0).put("annotation_index", i);
          annotation.set("annotation", citations.get(i));
          emit("response.output_text.annotation.added", annotation);
        }
        part.set("annotations", citations);
      }
      ObjectNode partDone = itemEvent();
      partDone.put("content_index", 0);
      partDone.set("part", part);
      emit("response.content_part.done", partDone);
      ((ArrayNode) open.get("content")).add(part);
    } else {
      ObjectNode argumentsDone = itemEvent();
      argumentsDone.put("arguments", body).put("name", open.get("name").asText());
      emit("response.function_call_arguments.done", argumentsDone);
      open.put("arguments", body);
    }
    open.put("status", "completed");
    ObjectNode itemDone = Json.object().put("output_index", output.size());
    itemDone.set("item", open);
    emit("response.output_item.done", itemDone);
    output.add(open);
    open = null;
    openToolIndex = -1;
  }

  /** An event about the open item: its {@code item_id} and {@code output_index}. */
  private ObjectNode itemEvent() {
    return Json.object().put("item_id", open.get("id").asText()).put("output_index", output.size());
  }

  private static ObjectNode textPart(String text) {
    ObjectNode part = Json.object().put("type", "output_text");
    part.putArray("annotations");
    part.putArray("logprobs");
    part.put("text", text);
    return part;
  }

  private void emit(String type, ObjectNode event) {
    if (whole() || out == null) {
      sequence++;
      return;
    }
    ObjectNode data = Json.object().put("type", type);
    data.setAll(event);
    data.put("sequence_number", sequence++);
    out.appendBuffer(ClientFace.namedEvent(type, data));
  }

  /** The usage chunk's counts in the Responses API's shape; null before it came. */
  private JsonNode usage() {
    if (promptTokens < 0) {
      return Json.object().nullNode();
    }
    ObjectNode usage = Json.object();
    usage.put("input_tokens", promptTokens);
    usage.putObject("input_tokens_details").put("cached_tokens", cachedTokens).put("cache_write_tokens", 0);
    usage.put("output_tokens", Math.max(0, completionTokens));
    usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
    usage.put("total_tokens", promptTokens + Math.max(0, completionTokens));
    return usage;
  }

  /** The response object as it stands, with {@code status}. */
  private ObjectNode response(String status) {
    ObjectNode response = Json.object();
    response.put("id", id).put("object", "response").put("created_at", createdAt).put("status", status);
    response.putNull("error");
    response.putNull("incomplete_details");
    response.setAll(request.echo());
    response.set("output", output.deepCopy());
    response.putObject("reasoning").putNull("effort").putNull("summary");
    response.put("truncation", "disabled");
    response.set("usage", usage());
    return response;
  }
}
