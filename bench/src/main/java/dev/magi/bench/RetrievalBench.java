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
 * Ingest throughput, search latency and recall of the vector stores, with vectors made up on the spot
 * (a "fast fake embedder": the model is not what is measured). The vectors have structure, as
 * embeddings do: they lie around {@code --clusters} centres, and so do the queries, so that the
 * approximate indexes meet neighbours that are close together. Prints chunks/s for ingest, p50/p99 of
 * sequential searches, and recall@10: the share of the exact top 10 (by cosine, computed here by brute
 * force) that the store returned.
 *
 * <pre>java -cp ... dev.magi.bench.RetrievalBench [--store pg|disk|memory] [--url postgresql://...]
 *     [--vectors 100000] [--dims 768] [--batch 500] [--searches 500] [--recall-queries 200] [--clusters 100]</pre>
 */
public final class RetrievalBench {

  private RetrievalBench() {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new java.util.HashMap<>(Map.of("--store", "pg", "--url",
        "postgresql://postgres@127.0.0.1:5432/test", "--vectors", "100000", "--dims", "768", "--batch", "500",
        "--searches", "500", "--recall-queries", "200", "--clusters", "100"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    int vectors = Integer.parseInt(options.get("--vectors"));
    int dims = Integer.parseInt(options.get("--dims"));
    int batch = Integer.parseInt(options.get("--batch"));
    int searches = Integer.parseInt(options.get("--searches"));
    int recallQueries = Integer.parseInt(options.get("--recall-queries"));
    int clusters = Integer.parseInt(options.get("--clusters"));
    Vertx vertx = Vertx.vertx();
    VectorStore store;
    java.nio.file.Path diskDir = null;
    switch (options.get("--store")) {
      case "pg" -> {
        PgVectorStore pg = PgVectorStore.connect(vertx, options.get("--url"), Optional.empty(), 4);
        await(pg.initialise());
        store = pg;
      }
      case "disk" -> {
        diskDir = java.nio.file.Files.createTempDirectory("magi-bench-disk");
        store = new dev.magi.retrieval.LuceneVectorStore(vertx, diskDir);
      }
      default -> store = new InMemoryVectorStore();
    }
    String collection = "bench_" + System.currentTimeMillis();
    await(store.createCollection(collection, dims));
    SplittableRandom random = new SplittableRandom(42);
    float[][] centres = new float[clusters][];
    for (int c = 0; c < clusters; c++) {
      centres[c] = unit(random, dims);
    }
    float[][] data = new float[vectors][];
    try {
      long started = System.nanoTime();
      for (int from = 0; from < vectors; from += batch) {
        List<Chunk> chunks = new ArrayList<>(batch);
        for (int i = from; i < Math.min(vectors, from + batch); i++) {
          data[i] = near(random, centres[random.nextInt(clusters)]);
          chunks.add(new Chunk("doc" + i + ":0", "doc" + i, 0, "chunk " + i, data[i], Map.of("group", i % 100)));
        }
        await(store.upsert(collection, chunks));
      }
      double ingestSeconds = (System.nanoTime() - started) / 1e9;
      double indexSeconds = 0;
      if (store instanceof PgVectorStore pg) {
        // The HNSW index is built once the collection is idle (PgVectorStore.IndexPolicy): wait for it.
        long waiting = System.nanoTime();
        while (!await(pg.indexed(collection))) {
          Thread.sleep(1000);
        }
        indexSeconds = (System.nanoTime() - waiting) / 1e9;
        System.out.printf("vector index ready %.1f s after the ingest; end to end %.0f chunks/s%n", indexSeconds,
            vectors / (ingestSeconds + indexSeconds));
      }
      if (store instanceof dev.magi.retrieval.LuceneVectorStore disk && options.containsKey("--compact")) {
        long merging = System.nanoTime();
        await(disk.compact(collection, Integer.parseInt(options.get("--compact"))));
        System.out.printf("compacted to %s segments in %.1f s%n", options.get("--compact"),
            (System.nanoTime() - merging) / 1e9);
      }
      long[] latencies = new long[searches];
      for (int i = 0; i < searches; i++) {
        float[] query = near(random, centres[random.nextInt(clusters)]);
        long t = System.nanoTime();
        await(store.search(collection, query, 10, Optional.empty()));
        latencies[i] = System.nanoTime() - t;
      }
      Arrays.sort(latencies);
      double recall = 0;
      long[] filtered = new long[recallQueries];
      int filteredShort = 0;
      for (int q = 0; q < recallQueries; q++) {
        float[] query = near(random, centres[random.nextInt(clusters)]);
        java.util.Set<String> exact = exactTop(data, query, 10);
        List<dev.magi.retrieval.Match> found = await(store.search(collection, query, 10, Optional.empty()));
        recall += found.stream().filter(m -> exact.contains(m.documentId())).count() / (double) exact.size();
        // A filter that passes 1 % of the chunks: the search must still fill its page.
        long t = System.nanoTime();
        List<dev.magi.retrieval.Match> narrow = await(store.search(collection, query, 10, Optional.of(
            new dev.magi.retrieval.Filter.Comparison(dev.magi.retrieval.Filter.Op.EQ, "group", q % 100))));
        filtered[q] = System.nanoTime() - t;
        if (narrow.size() < 10) {
          filteredShort++;
        }
      }
      Arrays.sort(filtered);
      System.out.printf("store=%s vectors=%d dims=%d batch=%d clusters=%d%n", options.get("--store"), vectors, dims,
          batch, clusters);
      System.out.printf("ingest: %.1f s, %.0f chunks/s%n", ingestSeconds, vectors / ingestSeconds);
      System.out.printf("search (top 10, %d sequential queries): p50 %.2f ms, p99 %.2f ms%n", searches,
          latencies[searches / 2] / 1e6, latencies[(int) (searches * 0.99)] / 1e6);
      System.out.printf("recall@10 against exact search (%d queries): %.3f%n", recallQueries, recall / recallQueries);
      System.out.printf("filtered search (1 %% of chunks pass): p50 %.2f ms, p99 %.2f ms, %d of %d pages short of 10%n",
          filtered[recallQueries / 2] / 1e6, filtered[(int) (recallQueries * 0.99)] / 1e6, filteredShort,
          recallQueries);
    } finally {
      await(store.dropCollection(collection));
      await(store.close());
      vertx.close();
      if (diskDir != null) {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(diskDir)) {
          for (java.nio.file.Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
            java.nio.file.Files.deleteIfExists(file);
          }
        }
      }
    }
  }

  /** A unit vector near {@code centre}: the centre plus noise of about its own size, normalised. */
  private static float[] near(SplittableRandom random, float[] centre) {
    float[] noise = unit(random, centre.length);
    float[] v = new float[centre.length];
    double norm = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = centre[i] + 0.8f * noise[i];
      norm += v[i] * v[i];
    }
    float scale = (float) (1 / Math.sqrt(norm));
    for (int i = 0; i < v.length; i++) {
      v[i] *= scale;
    }
    return v;
  }

  /** The ids of the {@code k} vectors most similar to {@code query}, by brute force (all are unit vectors). */
  private static java.util.Set<String> exactTop(float[][] data, float[] query, int k) {
    java.util.PriorityQueue<double[]> best = new java.util.PriorityQueue<>(java.util.Comparator.comparingDouble(a -> a[0]));
    for (int i = 0; i < data.length; i++) {
      double dot = 0;
      float[] v = data[i];
      for (int d = 0; d < v.length; d++) {
        dot += v[d] * query[d];
      }
      if (best.size() < k) {
        best.add(new double[] {dot, i});
      } else if (dot > best.peek()[0]) {
        best.poll();
        best.add(new double[] {dot, i});
      }
    }
    java.util.Set<String> ids = new java.util.HashSet<>();
    best.forEach(entry -> ids.add("doc" + (int) entry[1]));
    return ids;
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
