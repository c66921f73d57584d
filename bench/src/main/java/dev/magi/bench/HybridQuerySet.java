package dev.magi.bench;

import dev.magi.retrieval.Chunk;
import dev.magi.retrieval.Match;
import dev.magi.retrieval.SearchQuery;
import dev.magi.retrieval.VectorStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The rankers' effect on a small labelled query set ({@code bench/hybrid-queries.json}): each query has
 * the documents that answer it, and a kind: {@code meaning} (a paraphrase that shares few words with its
 * answers) or {@code exact} (a code, name or rare word that several similar documents do not contain).
 * Prints recall@3 and the mean reciprocal rank of the first answer, by ranker and kind.
 *
 * <p>No embedding model runs here (no weights can be downloaded), so the vectors stand in for one:
 * each text's labelled topics, each a fixed random direction, summed, plus noise from the text itself.
 * That is a model which knows what a text is about and nothing of its codes and rare words, which is
 * what pure vector search is known to miss. The figures therefore show what fusion does with such a
 * model, not how good any real model is.
 */
final class HybridQuerySet {

  private static final int DIMENSIONS = 256;
  private static final int TOP = 3;
  /** How much of a text's vector is its own noise, against its topics'. */
  private static final double NOISE = 0.6;

  private HybridQuerySet() {
  }

  static void run(Vertx vertx, VectorStore store, Path file) throws Exception {
    JsonObject set = new JsonObject(Files.readString(file));
    String collection = "bench_hybrid_" + System.currentTimeMillis();
    await(store.createCollection(collection, DIMENSIONS));
    try {
      List<Chunk> chunks = new ArrayList<>();
      for (Object item : set.getJsonArray("documents")) {
        JsonObject document = (JsonObject) item;
        String id = document.getString("id");
        chunks.add(new Chunk(id + ":0", id, 0, document.getString("text"),
            embed(document.getString("text"), document.getJsonArray("topics")), Map.of()));
      }
      await(store.upsert(collection, chunks));
      Map<SearchQuery.Ranker, Map<String, double[]>> scores = new EnumMap<>(SearchQuery.Ranker.class);
      Map<String, Integer> perKind = new java.util.TreeMap<>();
      for (Object item : set.getJsonArray("queries")) {
        JsonObject query = (JsonObject) item;
        String kind = query.getString("kind");
        perKind.merge(kind, 1, Integer::sum);
        java.util.Set<String> relevant = new java.util.HashSet<>(query.getJsonArray("relevant").getList());
        float[] vector = embed(query.getString("text"), query.getJsonArray("topics"));
        for (SearchQuery.Ranker ranker : SearchQuery.Ranker.values()) {
          List<Match> found = await(store.search(collection, new SearchQuery(vector, query.getString("text"), TOP,
              Optional.empty(), ranker, 0)));
          double hits = found.stream().filter(m -> relevant.contains(m.documentId())).count();
          double reciprocal = 0;
          for (int rank = 0; rank < found.size(); rank++) {
            if (relevant.contains(found.get(rank).documentId())) {
              reciprocal = 1.0 / (rank + 1);
              break;
            }
          }
          for (String key : List.of(kind, "all")) {
            double[] sums = scores.computeIfAbsent(ranker, r -> new java.util.TreeMap<>())
                .computeIfAbsent(key, k -> new double[2]);
            sums[0] += hits / Math.min(TOP, relevant.size());
            sums[1] += reciprocal;
          }
        }
      }
      perKind.put("all", perKind.values().stream().mapToInt(Integer::intValue).sum());
      System.out.printf("labelled queries (%s: %d documents, %s; simulated embeddings, see HybridQuerySet):%n",
          file.getFileName(), chunks.size(), perKind);
      System.out.printf("  %-8s %-8s %9s %6s%n", "ranker", "queries", "recall@" + TOP, "MRR");
      for (SearchQuery.Ranker ranker : SearchQuery.Ranker.values()) {
        scores.get(ranker).forEach((kind, sums) -> System.out.printf("  %-8s %-8s %9.2f %6.2f%n",
            ranker.name().toLowerCase(java.util.Locale.ROOT), kind, sums[0] / perKind.get(kind),
            sums[1] / perKind.get(kind)));
      }
    } finally {
      await(store.dropCollection(collection));
    }
  }

  /** The stand-in model's vector for a text about {@code topics}: see the class comment. */
  static float[] embed(String text, JsonArray topics) {
    float[] vector = new float[DIMENSIONS];
    for (Object topic : topics) {
      float[] direction = direction(String.valueOf(topic));
      for (int i = 0; i < DIMENSIONS; i++) {
        vector[i] += direction[i];
      }
    }
    float[] noise = direction("text:" + text);
    for (int i = 0; i < DIMENSIONS; i++) {
      vector[i] = (float) (vector[i] / Math.max(1, Math.sqrt(topics.size())) + NOISE * noise[i]);
    }
    return SyntheticEmbeddings.normalise(vector);
  }

  /** A fixed random unit vector for {@code name}. */
  private static float[] direction(String name) {
    SplittableRandom random = new SplittableRandom(name.hashCode() * 0x9E3779B97F4A7C15L);
    float[] v = new float[DIMENSIONS];
    for (int i = 0; i < DIMENSIONS; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return SyntheticEmbeddings.normalise(v);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
  }
}
