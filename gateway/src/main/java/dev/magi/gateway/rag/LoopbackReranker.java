package dev.magi.gateway.rag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.Json;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Reranks through the gateway's own {@code /v1/rerank}: the same routing, admission and loading as any
 * client's request (a rerank model that is not loaded is loaded by it).
 */
public final class LoopbackReranker {

  private final Loopback gateway;

  public LoopbackReranker(Loopback gateway) {
    this.gateway = gateway;
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
    return gateway.post("/v1/rerank", body).compose(answer -> {
          JsonNode json = answer.json();
          if (answer.status() != 200 || json == null || !json.path("results").isArray()) {
            return Future.failedFuture(new IllegalStateException("rerank model '" + model + "' failed ("
                + answer.status() + "): " + answer.message()));
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
        });
  }
}
