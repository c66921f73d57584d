package dev.magi.gateway.rag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.CallerContext;
import dev.magi.proxy.api.Json;
import dev.magi.retrieval.Filter;
import dev.magi.retrieval.Match;
import dev.magi.retrieval.RetrievalService;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * Retrieval in chat, a Magi extension: a request field
 * {@code "retrieval": {"vector_store_id", "max_num_results", "filters", "required"}} is removed before
 * forwarding; the last user message is searched, and the results are put before the conversation as a
 * system message. The response says how many were used ({@code x-magi-retrieval-count}). When the store
 * cannot be reached the chat still answers, with {@code x-magi-retrieval: skipped}, unless the request
 * set {@code required: true}: then it is a 503 {@code retrieval_unavailable}.
 *
 * <p>With a rerank model ({@code retrieval.rerank_model}), more passages are searched
 * ({@link #candidates}) and the rerank model's best {@code max_num_results} are used, best first;
 * when it fails, the vector order is kept ({@code x-magi-rerank: skipped: ...}).
 */
public final class ChatRetrieval {

  private final RetrievalService service;
  private final Optional<Reranking> reranking;

  /** A rerank model, and what asks it. */
  public record Reranking(String model, LoopbackReranker reranker) {
  }

  public ChatRetrieval(RetrievalService service, Optional<Reranking> reranking) {
    this.service = service;
    this.reranking = reranking;
  }

  /** How many passages are searched for a rerank model to choose {@code limit} of. */
  static int candidates(int limit) {
    return Math.min(50, Math.max(20, limit * 4));
  }

  /** Whether the request asks for retrieval. */
  public static boolean wanted(ApiRequest request) {
    JsonNode retrieval = request.field("retrieval");
    return retrieval != null && !retrieval.isNull();
  }

  /**
   * The request to forward: without the {@code retrieval} field, with the context added when found.
   * Sets the response headers that tell what happened.
   *
   * @return the new request; a failed future with an {@link ApiException} for a bad field, an unknown
   *     store, or an unavailable store when retrieval is required
   */
  public Future<ApiRequest> apply(ApiRequest request, HttpServerResponse response) {
    JsonNode field = request.field("retrieval");
    if (!field.isObject()) {
      return Future.failedFuture(ApiException.invalid("retrieval", "'retrieval' must be an object."));
    }
    JsonNode store = field.get("vector_store_id");
    if (store == null || !store.isTextual()) {
      return Future.failedFuture(ApiException.invalid("retrieval.vector_store_id", "'vector_store_id' is required."));
    }
    JsonNode limitNode = field.get("max_num_results");
    int limit = limitNode == null || limitNode.isNull() ? 4 : limitNode.asInt(-1);
    if (limitNode != null && !limitNode.isNull() && (!limitNode.isIntegralNumber() || limit < 1 || limit > 20)) {
      return Future.failedFuture(ApiException.invalid("retrieval.max_num_results", "'max_num_results' must be 1-20."));
    }
    boolean required = field.path("required").asBoolean(false);
    Optional<Filter> filter;
    try {
      filter = field.has("filters") && !field.get("filters").isNull()
          ? VectorStoreRequests.filter(field.get("filters"), "retrieval.filters") : Optional.empty();
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    ObjectNode body = Json.object().setAll(request.body());
    body.remove("retrieval");
    String query = lastUserText(body);
    if (query.isBlank()) {
      response.putHeader("x-magi-retrieval", "skipped: no user message to search with");
      return Future.succeededFuture(rebuilt(request, body));
    }
    return CallerContext.resume(search(store.asText(), query, limit, filter))
        .map(found -> {
          found.rerankSkipped().ifPresent(why -> response.putHeader("x-magi-rerank", "skipped: " + oneLine(why)));
          List<Match> matches = found.matches();
          response.putHeader("x-magi-retrieval-count", Integer.toString(matches.size()));
          withContext(body, matches);
          return rebuilt(request, body);
        })
        .recover(failure -> {
          if (failure instanceof NoSuchElementException) {
            return Future.failedFuture(new ApiException(404, "invalid_request_error", "retrieval.vector_store_id",
                "vector_store_not_found", failure.getMessage()));
          }
          if (required) {
            return Future.failedFuture(new ApiException(503, "server_error", "retrieval", "retrieval_unavailable",
                "Retrieval is required by this request but unavailable: " + failure.getMessage(),
                java.util.Map.of("Retry-After", "5")));
          }
          response.putHeader("x-magi-retrieval", "skipped: " + oneLine(failure.getMessage()));
          return Future.succeededFuture(rebuilt(request, body));
        });
  }

  /** Passages for the context, and why the rerank model was not used when it failed. */
  private record Found(List<Match> matches, Optional<String> rerankSkipped) {
  }

  /**
   * The best {@code limit} passages: the search's (by meaning and by word, fused), or, with a rerank
   * model, its choice among more. Completes on whatever context the search or the rerank model answered
   * on.
   */
  private Future<Found> search(String store, String query, int limit, Optional<Filter> filter) {
    if (reranking.isEmpty()) {
      return service.search(store, RetrievalService.SearchRequest.hybrid(query, limit, filter))
          .map(found -> new Found(found, Optional.empty()));
    }
    Reranking rerank = reranking.get();
    return service.search(store, RetrievalService.SearchRequest.hybrid(query, candidates(limit), filter))
        .compose(found -> {
          if (found.size() <= 1) {
            return Future.succeededFuture(new Found(found, Optional.empty()));
          }
          return rerank.reranker().rank(rerank.model(), query, found.stream().map(Match::text).toList(), limit)
              .map(order -> new Found(order.stream().map(found::get).toList(), Optional.empty()))
              .recover(failure -> Future.succeededFuture(new Found(found.subList(0, Math.min(limit, found.size())),
                  Optional.of(String.valueOf(failure.getMessage())))));
        });
  }

  /**
   * Puts {@code matches} first in a chat's {@code messages}, as a system message of numbered passages;
   * no message when there are none.
   */
  public static void withContext(ObjectNode chat, List<Match> matches) {
    if (!matches.isEmpty()) {
      // A new list: the one given may be shared with the request as the client sent it.
      ArrayNode messages = Json.array();
      messages.addObject().put("role", "system").put("content", context(matches));
      chat.get("messages").forEach(messages::add);
      chat.set("messages", messages);
    }
  }

  /** The system message: numbered passages, most relevant first. */
  static String context(List<Match> matches) {
    StringBuilder text = new StringBuilder("Use the following passages to answer. Cite them as [n] when you use"
        + " them; if they do not help, answer without them.\n");
    for (int i = 0; i < matches.size(); i++) {
      text.append("\n[").append(i + 1).append("] ").append(matches.get(i).text()).append('\n');
    }
    return text.toString();
  }

  private static String lastUserText(ObjectNode body) {
    JsonNode messages = body.get("messages");
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonNode message = messages.get(i);
      if ("user".equals(message.path("role").asText())) {
        JsonNode content = message.get("content");
        if (content != null && content.isTextual()) {
          return content.asText();
        }
        StringBuilder text = new StringBuilder();
        if (content != null && content.isArray()) {
          content.forEach(part -> {
            if ("text".equals(part.path("type").asText())) {
              text.append(part.path("text").asText()).append('\n');
            }
          });
        }
        return text.toString().strip();
      }
    }
    return "";
  }

  private static ApiRequest rebuilt(ApiRequest request, ObjectNode body) {
    return new ApiRequest(request.operation(), request.model(), request.stream(), request.includeUsage(),
        request.base64(), request.maxTokens(), body, Json.buffer(body));
  }

  private static String oneLine(String message) {
    String text = String.valueOf(message).replaceAll("[\\r\\n]+", " ");
    return text.length() > 200 ? text.substring(0, 200) : text;
  }
}
