package dev.magi.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.ClientFace;
import dev.magi.proxy.api.Json;
import io.vertx.core.buffer.Buffer;

/**
 * OpenAI's Responses API as the proxy sees it: errors before a stream in OpenAI's shape, after it has
 * begun as {@code response.failed}; answers made by {@link ResponsesAnswer}. One per request; a
 * finished response is kept in the store unless the request said {@code store: false}.
 */
public final class ResponsesFace implements ClientFace {

  private final ResponsesRequests.Translated request;
  private final FileSearchResults search;
  private final ResponseStore store;
  /** The answer of the attempt under way, which a failure after its start ends. */
  private ResponsesAnswer current;

  /** @param search what the request's file_search tool found, or null when it has none */
  public ResponsesFace(ResponsesRequests.Translated request, FileSearchResults search, ResponseStore store) {
    this.request = request;
    this.search = search;
    this.store = store;
  }

  @Override
  public Buffer errorBody(ApiException error) {
    return ClientFace.OPENAI.errorBody(error);
  }

  @Override
  public Buffer errorEvent(ApiException error) {
    if (current == null) {
      ObjectNode event = Json.object().put("type", "error").put("code", error.code()).put("message", error.getMessage());
      event.put("param", error.param()).put("sequence_number", 0);
      return dev.magi.proxy.api.ClientFace.namedEvent("error", event);
    }
    return current.failed(error);
  }

  @Override
  public Answer answer(ApiRequest chat) {
    current = new ResponsesAnswer(request, search, this::keep);
    return current;
  }

  /** Keeps a finished response, with the conversation it ended, when the request asked for it. */
  private void keep(ObjectNode response) {
    if (!request.store()) {
      return;
    }
    ArrayNode input = Json.array();
    for (JsonNode item : request.input()) {
      ObjectNode copy = ((ObjectNode) item).deepCopy();
      if (!copy.has("id")) {
        copy.put("id", ResponseIds.next(copy.path("type").asText().equals("message") ? "msg_" : "fc_"));
      }
      if (!copy.has("status") && !copy.path("type").asText().equals("reasoning")) {
        copy.put("status", "completed");
      }
      input.add(copy);
    }
    ArrayNode conversation = request.conversation().deepCopy();
    conversation.addAll((ArrayNode) response.get("output"));
    store.put(new ResponseStore.Stored(response, input, conversation));
  }
}
