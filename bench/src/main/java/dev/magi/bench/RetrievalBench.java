package dev.magi.bench;

import dev.magi.retrieval.Chunk;
import dev.magi.retrieval.InMemoryVectorStore;
import dev.magi.retrieval.PgVectorStore;
import dev.magi.retrieval.VectorStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Ingest throughput and search latency of the vector stores, with vectors made up on the spot (a
 * "fast fake embedder": the model is not what is measured). Prints chunks/s for ingest and p50/p99 of
 * sequential searches.
 *
 * <pre>java -cp ... dev.magi.bench.RetrievalBench [--store pg|memory] [--url postgresql://...]
 *     [--vectors 100000] [--dims 768] [--batch 500] [--searches 500]</pre>
 */
public final class RetrievalBench {

  private RetrievalBench() {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new java.util.HashMap<>(Map.of("--store", "pg", "--url",
        "postgresql://postgres@127.0.0.1:5432/test", "--vectors", "100000", "--dims", "768", "--batch", "500",
        "--searches", "500"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    int vectors = Integer.parseInt(options.get("--vectors"));
    int dims = Integer.parseInt(options.get("--dims"));
    int batch = Integer.parseInt(options.get("--batch"));
    int searches = Integer.parseInt(options.get("--searches"));
    Vertx vertx = Vertx.vertx();
    VectorStore store;
    if (options.get("--store").equals("pg")) {
      PgVectorStore pg = PgVectorStore.connect(vertx, options.get("--url"), Optional.empty(), 4);
      await(pg.initialise());
      store = pg;
    } else {
      store = new InMemoryVectorStore();
    }
    String collection = "bench_" + System.currentTimeMillis();
    await(store.createCollection(collection, dims));
    SplittableRandom random = new SplittableRandom(42);
    try {
      long started = System.nanoTime();
      for (int from = 0; from < vectors; from += batch) {
        List<Chunk> chunks = new ArrayList<>(batch);
        for (int i = from; i < Math.min(vectors, from + batch); i++) {
          chunks.add(new Chunk("doc" + i + ":0", "doc" + i, 0, "chunk " + i, unit(random, dims),
              Map.of("group", i % 10)));
        }
        await(store.upsert(collection, chunks));
      }
      double ingestSeconds = (System.nanoTime() - started) / 1e9;
      long[] latencies = new long[searches];
      for (int i = 0; i < searches; i++) {
        float[] query = unit(random, dims);
        long t = System.nanoTime();
        await(store.search(collection, query, 10, Optional.empty()));
        latencies[i] = System.nanoTime() - t;
      }
      Arrays.sort(latencies);
      System.out.printf("store=%s vectors=%d dims=%d batch=%d%n", options.get("--store"), vectors, dims, batch);
      System.out.printf("ingest: %.1f s, %.0f chunks/s (index built as rows arrive)%n", ingestSeconds,
          vectors / ingestSeconds);
      System.out.printf("search (top 10, %d sequential queries): p50 %.2f ms, p99 %.2f ms%n", searches,
          latencies[searches / 2] / 1e6, latencies[(int) (searches * 0.99)] / 1e6);
    } finally {
      await(store.dropCollection(collection));
      await(store.close());
      vertx.close();
    }
  }

  private static float[] unit(SplittableRandom random, int dims) {
    float[] v = new float[dims];
    double norm = 0;
    for (int i = 0; i < dims; i++) {
      v[i] = (float) (random.nextDouble() * 2 - 1);
      norm += v[i] * v[i];
    }
    float scale = (float) (1 / Math.sqrt(norm));
    for (int i = 0; i < dims; i++) {
      v[i] *= scale;
    }
    return v;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
  }
}
