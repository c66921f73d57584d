package dev.magi.gateway.rag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.Json;
import dev.magi.retrieval.Embedder;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Embeds through the gateway's own {@code /v1/embeddings}: the same routing, admission, retries and
 * protocol adapters as any client's request, in batches of {@link #BATCH}.
 */
public final class LoopbackEmbedder implements Embedder {

  /** Texts per request. */
  public static final int BATCH = 64;

  private final Loopback gateway;

  public LoopbackEmbedder(Loopback gateway) {
    this.gateway = gateway;
  }

  @Override
  public Future<List<float[]>> embed(String model, List<String> texts) {
    List<Future<List<float[]>>> batches = new ArrayList<>();
    for (int from = 0; from < texts.size(); from += BATCH) {
      batches.add(batch(model, texts.subList(from, Math.min(texts.size(), from + BATCH))));
    }
    return Future.all(batches).map(all -> {
      List<float[]> vectors = new ArrayList<>(texts.size());
      batches.forEach(batch -> vectors.addAll(batch.result()));
      return vectors;
    });
  }

  private Future<List<float[]>> batch(String model, List<String> texts) {
    ObjectNode body = Json.object();
    body.put("model", model);
    ArrayNode input = body.putArray("input");
    texts.forEach(input::add);
    body.put("encoding_format", "float");
    return gateway.post("/v1/embeddings", body).compose(answer -> {
          JsonNode json = answer.json();
          if (answer.status() != 200 || json == null) {
            return Future.failedFuture(new EmbeddingFailedException(answer.status(), "embedding model '" + model
                + "' failed: " + answer.message()));
          }
          List<float[]> vectors = new ArrayList<>();
          for (JsonNode item : json.path("data")) {
            JsonNode values = item.path("embedding");
            float[] vector = new float[values.size()];
            for (int i = 0; i < vector.length; i++) {
              vector[i] = (float) values.get(i).asDouble();
            }
            vectors.add(vector);
          }
          if (vectors.size() != texts.size()) {
            return Future.failedFuture(new EmbeddingFailedException(502, "embedding model '" + model + "' returned "
                + vectors.size() + " vectors for " + texts.size() + " texts"));
          }
          return Future.succeededFuture(vectors);
        });
  }

  /** The embedding model answered with an error (its status is kept). */
  public static final class EmbeddingFailedException extends RuntimeException {
    private final int status;

    public EmbeddingFailedException(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }

    /** The HTTP status the model's request got. */
    public int status() {
      return status;
    }
  }
}
