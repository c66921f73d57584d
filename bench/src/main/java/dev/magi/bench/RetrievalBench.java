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
 * embeddings do ({@link SyntheticEmbeddings}: {@code --data embedding}, topics of {@code --clusters};
 * {@code --data isotropic} for the hardest case), and so do the queries. Prints, with the goals of
 * the store: bulk ingest into a new store (and end to end, until its background work for fast searches
 * is done), p50/p99 of sequential searches, recall@10 (the share of the exact top 10, by cosine computed
 * here by brute force, that the store returned), filtered searches that pass 1 % of the chunks, and live
 * ingest into the indexed store; with {@code --labelled FILE}, the rankers on a labelled query set
 * ({@link HybridQuerySet}). Exits 3 when a goal is not met.
 *
 * <pre>java -cp ... dev.magi.bench.RetrievalBench [--store pg|disk|memory] [--url postgresql://...]
 *     [--vectors 100000] [--dims 768] [--batch 500] [--searches 500] [--recall-queries 200] [--clusters 100]
 *     [--data embedding|isotropic] [--live 5000] [--labelled bench/hybrid-queries.json] [--keep] [--reuse NAME]
 *     [--dir DIR (the disk store's, kept)]</pre>
 */
public final class RetrievalBench {

  private RetrievalBench() {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new java.util.HashMap<>(Map.of("--store", "pg", "--url",
        "postgresql://postgres@127.0.0.1:5432/test", "--vectors", "100000", "--dims", "768", "--batch", "500",
        "--searches", "500", "--recall-queries", "200", "--clusters", "100", "--live", "5000", "--data", "embedding"));
    for (int i = 0; i < args.length; i++) {
      options.put(args[i], i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "");
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
        diskDir = options.containsKey("--dir") ? java.nio.file.Path.of(options.get("--dir"))
            : java.nio.file.Files.createTempDirectory("magi-bench-disk");
        store = new dev.magi.retrieval.LuceneVectorStore(vertx, diskDir);
      }
      default -> store = new InMemoryVectorStore();
    }
    // --keep leaves the collection in place and --reuse NAME searches it again without ingesting (the
    // vectors are made again from the same seed), to try search settings without waiting for an ingest.
    boolean reuse = options.containsKey("--reuse");
    String collection = reuse ? options.get("--reuse") : "bench_" + System.currentTimeMillis();
    await(store.createCollection(collection, dims));
    SplittableRandom random = new SplittableRandom(42);
    SyntheticEmbeddings source = "isotropic".equals(options.get("--data"))
        ? SyntheticEmbeddings.isotropic(random, dims, clusters) : SyntheticEmbeddings.embeddingLike(random, dims, clusters);
    int live = Integer.parseInt(options.get("--live"));
    float[][] data = new float[vectors + live][];
    Goals goals = new Goals(options.get("--store"));
    try {
      long started = System.nanoTime();
      ingest(reuse ? null : store, collection, data, 0, vectors, batch, random, source);
      double ingestSeconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("store=%s vectors=%d dims=%d batch=%d data=%s clusters=%d%n", options.get("--store"), vectors,
          dims, batch, options.get("--data"), clusters);
      System.out.printf("bulk ingest into a new store: %.1f s, %.0f chunks/s%n", ingestSeconds,
          vectors / ingestSeconds);
      // The store's own background work makes searches fast: PostgreSQL builds the HNSW index once the
      // collection is idle (PgVectorStore.IndexPolicy), the disk store merges its segments. Wait for it.
      long waiting = System.nanoTime();
      while (!await(settled(store, collection))) {
        Thread.sleep(500);
      }
      double settleSeconds = (System.nanoTime() - waiting) / 1e9;
      double endToEnd = vectors / (ingestSeconds + settleSeconds);
      System.out.printf("%s %.1f s after the ingest; end to end %.0f chunks/s%n",
          store instanceof PgVectorStore ? "vector index ready" : "segments merged", settleSeconds, endToEnd);
      // PostgreSQL searches a bulk load fast once its index is built, so that counts; the disk store's
      // segments carry their graphs from the start, and its merge only makes searches faster.
      if (store instanceof PgVectorStore) {
        goals.check("bulk ingest, end to end (chunks/s)", endToEnd, 500, true);
      } else {
        goals.check("bulk ingest, searchable (chunks/s)", vectors / ingestSeconds, 1000, true);
      }

      if (store instanceof dev.magi.retrieval.LuceneVectorStore disk && options.containsKey("--compact")) {
        long merging = System.nanoTime();
        await(disk.compact(collection, Integer.parseInt(options.get("--compact"))));
        System.out.printf("compacted to %s segments in %.1f s%n", options.get("--compact"),
            (System.nanoTime() - merging) / 1e9);
      }
      for (int i = 0; i < WARM_UP; i++) {
        await(store.search(collection, source.next(random), 10, Optional.empty()));
      }
      long[] latencies = new long[searches];
      for (int i = 0; i < searches; i++) {
        float[] query = source.next(random);
        long t = System.nanoTime();
        await(store.search(collection, query, 10, Optional.empty()));
        latencies[i] = System.nanoTime() - t;
      }
      Arrays.sort(latencies);
      double p99 = latencies[(int) (searches * 0.99)] / 1e6;
      System.out.printf("search (top 10, %d sequential queries after %d to warm up): p50 %.2f ms, p90 %.2f ms,"
          + " p99 %.2f ms, max %.2f ms%n", searches, WARM_UP, latencies[searches / 2] / 1e6,
          latencies[(int) (searches * 0.9)] / 1e6, p99, latencies[searches - 1] / 1e6);
      goals.check("search p99 (ms)", p99, store instanceof PgVectorStore ? 10 : 5, false);

      double recall = 0;
      long[] filtered = new long[recallQueries];
      int filteredShort = 0;
      for (int q = 0; q < recallQueries; q++) {
        float[] query = source.next(random);
        java.util.Set<String> exact = exactTop(data, vectors, query, 10);
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
      System.out.printf("recall@10 against exact search (%d queries): %.3f%n", recallQueries, recall / recallQueries);
      goals.check("recall@10", recall / recallQueries, 0.95, true);
      System.out.printf("filtered search (1 %% of chunks pass): p50 %.2f ms, p99 %.2f ms, %d of %d pages short of 10%n",
          filtered[recallQueries / 2] / 1e6, filtered[(int) (recallQueries * 0.99)] / 1e6, filteredShort,
          recallQueries);
      goals.check("filtered pages short of 10", filteredShort, 0, false);

      if (live > 0 && !reuse) {
        long liveStarted = System.nanoTime();
        ingest(store, collection, data, vectors, vectors + live, batch, random, source);
        double liveRate = live / ((System.nanoTime() - liveStarted) / 1e9);
        System.out.printf("live ingest into the indexed store (%d more chunks): %.0f chunks/s%n", live, liveRate);
        goals.check("live ingest (chunks/s)", liveRate, store instanceof PgVectorStore ? 300 : 1000, true);
      }
      if (options.containsKey("--labelled")) {
        HybridQuerySet.run(vertx, store, java.nio.file.Path.of(options.get("--labelled")));
      }
      goals.print();
    } finally {
      if (options.containsKey("--keep") || reuse) {
        System.out.println("kept collection " + collection);
      } else {
        await(store.dropCollection(collection));
      }
      await(store.close());
      vertx.close();
      if (diskDir != null && !options.containsKey("--dir")) {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(diskDir)) {
          for (java.nio.file.Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
            java.nio.file.Files.deleteIfExists(file);
          }
        }
      }
    }
    if (!goals.met()) {
      System.exit(3);
    }
  }

  /**
   * Searches made before the timed ones, so that the figures are those of a server that has been
   * answering for a while, not of the JIT's first minutes (after 100, p99 on disk was 9 ms; after 1,000, 5).
   */
  private static final int WARM_UP = 1000;

  /** Makes {@code data[from..to)} and stores it ({@code store} null: only makes it), {@code batch} chunks per call. */
  private static void ingest(VectorStore store, String collection, float[][] data, int from, int to, int batch,
      SplittableRandom random, SyntheticEmbeddings source) throws Exception {
    for (int first = from; first < to; first += batch) {
      List<Chunk> chunks = new ArrayList<>(batch);
      for (int i = first; i < Math.min(to, first + batch); i++) {
        data[i] = source.next(random);
        chunks.add(new Chunk("doc" + i + ":0", "doc" + i, 0, "chunk " + i, data[i], Map.of("group", i % 100)));
      }
      if (store != null) {
        await(store.upsert(collection, chunks));
      }
    }
  }

  /** Whether the store's background work for fast searches is done (the in-memory store has none). */
  private static Future<Boolean> settled(VectorStore store, String collection) {
    if (store instanceof PgVectorStore pg) {
      return pg.indexed(collection);
    }
    if (store instanceof dev.magi.retrieval.LuceneVectorStore disk) {
      return disk.compacted(collection);
    }
    return Future.succeededFuture(true);
  }

  /** The goals for one store, checked as the figures come; the in-memory store has none. */
  private static final class Goals {
    private final boolean applies;
    private final List<String> lines = new ArrayList<>();
    private boolean met = true;

    Goals(String store) {
      this.applies = !"memory".equals(store);
    }

    void check(String what, double value, double goal, boolean atLeast) {
      if (!applies) {
        return;
      }
      boolean ok = atLeast ? value >= goal : value <= goal;
      met &= ok;
      lines.add(String.format("  %-36s %10.3f  goal %s %s  %s", what, value, atLeast ? ">=" : "<=",
          goal == Math.rint(goal) ? String.valueOf((long) goal) : String.valueOf(goal), ok ? "met" : "NOT MET"));
    }

    void print() {
      if (applies) {
        System.out.println("goals:");
        lines.forEach(System.out::println);
      }
    }

    boolean met() {
      return met;
    }
  }

  /** The ids of the {@code k} vectors most similar to {@code query}, by brute force (all are unit vectors). */
  private static java.util.Set<String> exactTop(float[][] data, int count, float[] query, int k) {
    java.util.PriorityQueue<double[]> best = new java.util.PriorityQueue<>(java.util.Comparator.comparingDouble(a -> a[0]));
    for (int i = 0; i < count; i++) {
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

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
  }
}
