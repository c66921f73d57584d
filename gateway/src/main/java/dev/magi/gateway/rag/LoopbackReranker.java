package dev.magi.gateway.rag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.Json;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * Reranks through the gateway's own {@code /v1/rerank}: the same routing, admission and loading as any
 * client's request (a rerank model that is not loaded is loaded by it).
 */
public final class LoopbackReranker {

  private final HttpClient client;
  private final IntSupplier port;
  private final Optional<String> apiKey;

  /**
   * @param port the gateway's port, asked at each call (known only once it listens)
   * @param apiKey a key the gateway accepts, when keys are required
   */
  public LoopbackReranker(HttpClient client, IntSupplier port, Optional<String> apiKey) {
    this.client = client;
    this.port = port;
    this.apiKey = apiKey;
  }

  /**
   * The indexes of {@code documents}, best first, at most {@code topN}.
   *
   * @return a failed future when the model answered with an error or nonsense
   */
  public Future<List<Integer>> rank(String model, String query, List<String> documents, int topN) {
    ObjectNode body = Json.object().put("model", model).put("query", query).put("top_n", topN);
    ArrayNode list = body.putArray("documents");
    documents.forEach(list::add);
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(port.getAsInt()).setURI("/v1/rerank").putHeader("Content-Type", "application/json");
    apiKey.ifPresent(key -> options.putHeader("Authorization", "Bearer " + key));
    return client.request(options)
        .compose(request -> request.send(Json.buffer(body)))
        .compose(response -> response.body().compose(bytes -> {
          JsonNode json = Json.parseOrNull(bytes);
          if (response.statusCode() != 200 || json == null || !json.path("results").isArray()) {
            String message = json == null ? "status " + response.statusCode()
                : json.path("error").path("message").asText("status " + response.statusCode());
            return Future.failedFuture(new IllegalStateException("rerank model '" + model + "' failed: " + message));
          }
          List<JsonNode> results = new ArrayList<>();
          json.get("results").forEach(results::add);
          // Best first, whatever order the backend lists them in.
          results.sort((a, b) -> Double.compare(b.path("relevance_score").asDouble(),
              a.path("relevance_score").asDouble()));
          List<Integer> order = new ArrayList<>();
          for (JsonNode result : results) {
            int index = result.path("index").asInt(-1);
            if (index >= 0 && index < documents.size() && !order.contains(index) && order.size() < topN) {
              order.add(index);
            }
          }
          return Future.succeededFuture(order);
        }));
  }
}
