package dev.magi.gateway.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.ClientFace;
import dev.magi.proxy.api.Json;
import io.vertx.core.buffer.Buffer;

/**
 * Ollama's own API as the proxy sees it: errors as {@code {"error":"..."}} (a line of its own after a
 * stream began), streams as NDJSON ({@code application/x-ndjson}, which has no comments, so no pings),
 * chat and generate answers made by {@link OllamaApiAnswer}, and embeddings rewritten into
 * {@code {"embeddings":[...]}} or, legacy, {@code {"embedding":[...]}}. One per request.
 */
public final class OllamaApiFace implements ClientFace {

  /** Errors only: for a request refused before it was translated. */
  public static final OllamaApiFace ERRORS = new OllamaApiFace(null);

  private final OllamaApiRequests.Translated request;

  public OllamaApiFace(OllamaApiRequests.Translated request) {
    this.request = request;
  }

  /** Ollama's error object. */
  static ObjectNode error(ApiException error) {
    return Json.object().put("error", error.getMessage());
  }

  @Override
  public Buffer errorBody(ApiException error) {
    return Json.buffer(error(error));
  }

  @Override
  public Buffer errorEvent(ApiException error) {
    return OllamaApiAnswer.line(error(error));
  }

  @Override
  public String streamContentType() {
    return "application/x-ndjson";
  }

  @Override
  public Buffer ping() {
    return null;
  }

  @Override
  public Answer answer(ApiRequest chat) {
    return request == null || isEmbedding() ? null : new OllamaApiAnswer(request);
  }

  @Override
  public boolean rewritesBody(ApiRequest openAi) {
    return request != null && isEmbedding();
  }

  /** OpenAI's embeddings list as Ollama's. */
  @Override
  public Buffer body(ApiRequest openAi, Buffer body) {
    JsonNode answer = Json.parseOrNull(body);
    if (answer == null || !answer.path("data").isArray()) {
      throw ApiException.badGateway("the backend answered embeddings with a body that is not an embeddings list");
    }
    ArrayNode vectors = Json.array();
    for (JsonNode item : answer.get("data")) {
      vectors.add(item.path("embedding"));
    }
    ObjectNode out = Json.object();
    if (request.kind() == OllamaApiRequests.Kind.EMBEDDINGS) {
      out.set("embedding", vectors.isEmpty() ? Json.array() : vectors.get(0));
      return Json.buffer(out);
    }
    out.put("model", request.model());
    out.set("embeddings", vectors);
    out.put("total_duration", 0).put("load_duration", 0)
        .put("prompt_eval_count", answer.path("usage").path("prompt_tokens").asLong(0));
    return Json.buffer(out);
  }

  private boolean isEmbedding() {
    return request.kind() == OllamaApiRequests.Kind.EMBED || request.kind() == OllamaApiRequests.Kind.EMBEDDINGS;
  }
}
