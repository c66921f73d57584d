package dev.magi.retrieval;

import com.pgvector.PGvector;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Collections in PostgreSQL with pgvector, over the non-blocking Vert.x client. Each collection is a
 * table {@code magi.<id>} with a {@code vector(<dimensions>)} column under an HNSW index with cosine
 * ops (in half precision: {@link #indexIfLarge}), and a JSONB column of attributes. All values, filter
 * keys included, are bound parameters; table names come only from validated collection ids. Vectors
 * travel in pgvector's text form with a {@code ::vector} cast (the Vert.x client cannot bind
 * {@code PGvector} objects).
 *
 * <p>A database that is down or hung makes every call fail with {@link RetrievalUnavailableException}
 * within {@link #TIMEOUT_MILLIS}; the pool reconnects by itself when it is back.
 */
public final class PgVectorStore implements VectorStore, FileStore {

  /**
   * How many candidates a vector search walks the HNSW graph for, at least ({@code hnsw.ef_search}). With
   * the graph built at {@link #EF_CONSTRUCTION}, pgvector's default of 40 gives recall@10 0.98 at 100,000
   * × 768 (bench/retrieval.sh); with pgvector's default graph (64) it gave 0.86, and 100 was needed.
   */
  static final int EF_SEARCH = 40;

  /**
   * How wide the index build searches for each vector's neighbours ({@code ef_construction}; pgvector's
   * default is 64). A better graph costs build time once (the index of 100,000 × 768 was ready 94 s after
   * the ingest instead of 70) and live inserts (354 chunks/s instead of 644), and lets every search walk
   * fewer candidates for the same recall.
   */
  static final int EF_CONSTRUCTION = 128;

  /** Longest any call waits for the database. */
  public static final long TIMEOUT_MILLIS = 2000;

  /**
   * When a collection gets its HNSW index: once it holds {@code rows} chunks and has seen no write for
   * {@code idleMillis}. Until then its searches are exact scans, and its ingest does not pay for the
   * graph row by row: a bulk load goes in at the table's speed, and the graph is built once after it,
   * with more memory and a parallel worker.
   */
  public record IndexPolicy(int rows, long idleMillis) {
    /** 5,000 chunks (an exact scan of them takes a few milliseconds), 30 s without a write. */
    public static final IndexPolicy DEFAULT = new IndexPolicy(5000, 30_000);
  }

  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(
      PgVectorStore.class.getName());
  private final Pool pool;
  private final Vertx vertx;
  private final IndexPolicy indexPolicy;
  /** Whether pgvector can scan its HNSW index on until enough rows pass a filter (0.8 and later). */
  private volatile boolean iterativeScan;
  /** By collection: when it was last written, and the timer that waits for it to be idle. */
  private final Map<String, Long> lastWrite = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, Long> indexTimers = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Set<String> indexing = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private PgVectorStore(Pool pool, Vertx vertx, IndexPolicy indexPolicy) {
    this.pool = pool;
    this.vertx = vertx;
    this.indexPolicy = indexPolicy;
  }

  /**
   * Connects to {@code url} ({@code postgresql://user@host:port/db}).
   *
   * @param password overrides the URL's password when present ({@code POSTGRES_PASSWORD_FILE})
   * @throws IllegalArgumentException when the URL cannot be read
   */
  public static PgVectorStore connect(Vertx vertx, String url, Optional<String> password, int maxConnections) {
    return connect(vertx, url, password, maxConnections, IndexPolicy.DEFAULT);
  }

  /** As {@link #connect(Vertx, String, Optional, int)}, building collections' HNSW indexes as {@code policy} says. */
  public static PgVectorStore connect(Vertx vertx, String url, Optional<String> password, int maxConnections,
      IndexPolicy policy) {
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    password.ifPresent(options::setPassword);
    options.setReconnectAttempts(0);
    // Searches and inserts run the same few statements again and again: plan each once per connection.
    options.setCachePreparedStatements(true);
    Pool pool = PgBuilder.pool()
        .with(new io.vertx.core.net.NetClientOptions().setConnectTimeout((int) TIMEOUT_MILLIS))
        .with(new PoolOptions().setMaxSize(maxConnections).setConnectionTimeout((int) TIMEOUT_MILLIS)
            .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectingTo(options)
        // Every connection walks the HNSW graph for EF_SEARCH candidates, so that most searches need no
        // transaction to SET LOCAL it (a placeholder until pgvector loads, which then takes its value).
        .withConnectHandler(connection -> connection.query("SET hnsw.ef_search = " + EF_SEARCH).execute()
            .onComplete(set -> connection.close()))
        .using(vertx)
        .build();
    return new PgVectorStore(pool, vertx, policy);
  }

  /**
   * Creates the {@code magi} schema and the {@code vector} extension when permitted.
   *
   * @return a failed future with a {@link RetrievalUnavailableException} saying so when the extension is
   *     not installed
   */
  public Future<Void> initialise() {
    return bounded(pool.query("CREATE EXTENSION IF NOT EXISTS vector").execute()
        .recover(failure -> pool.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'").execute()
            .compose(rows -> rows.size() == 1 ? Future.succeededFuture(rows)
                : Future.failedFuture(new RetrievalUnavailableException("the pgvector extension is not installed in "
                    + "this database, and Magi may not create it: run CREATE EXTENSION vector as a superuser", null))))
        .compose(done -> pool.query("CREATE SCHEMA IF NOT EXISTS magi").execute())
        .compose(done -> pool.query("CREATE TABLE IF NOT EXISTS magi.collections (id text PRIMARY KEY,"
            + " info jsonb NOT NULL, created_at bigint NOT NULL)").execute())
        .compose(done -> pool.query("CREATE TABLE IF NOT EXISTS magi.files (id text PRIMARY KEY, filename text NOT"
            + " NULL, purpose text NOT NULL, bytes bigint NOT NULL, created_at bigint NOT NULL, content text NOT NULL)")
            .execute())
        .compose(done -> pool.query("CREATE TABLE IF NOT EXISTS magi.attachments (store_id text NOT NULL, file_id text"
            + " NOT NULL, status text NOT NULL, error text NOT NULL, chunks integer NOT NULL, attributes jsonb NOT NULL,"
            + " created_at bigint NOT NULL, PRIMARY KEY (store_id, file_id))").execute())
        .compose(done -> pool.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'").execute())
        .compose(version -> {
          iterativeScan = version.size() == 1 && atLeast(version.iterator().next().getString(0), 0, 8);
          return pool.query("SELECT id FROM magi.collections WHERE to_regclass('magi.' || id) IS NOT NULL").execute();
        }))
        .compose(existing -> {
          // Collections made before keyword search get their keyword column and index once: the table is
          // rewritten, which for a large one takes minutes, hence the longer bound.
          Future<Void> upgraded = Future.succeededFuture();
          for (Row row : existing) {
            String collection = row.getString(0);
            upgraded = upgraded.compose(done -> keywords(pool, collection));
            // A bulk load that a stop interrupted before its index was built gets it now.
            indexWhenIdle(collection);
          }
          return bounded(upgraded, TimeUnit.MINUTES.toMillis(30));
        });
  }

  /** Whether pgvector's {@code version} (such as 0.8.0) is at least {@code major.minor}. */
  static boolean atLeast(String version, int major, int minor) {
    String[] parts = version.split("\\.");
    try {
      int have = Integer.parseInt(parts[0]) * 1000 + (parts.length > 1 ? Integer.parseInt(parts[1]) : 0);
      return have >= major * 1000 + minor;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The keyword column (the text's words, generated) and its GIN index, when missing. */
  private static Future<Void> keywords(io.vertx.sqlclient.SqlClient client, String collection) {
    String table = table(collection);
    return client.query("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS words tsvector GENERATED ALWAYS AS"
            + " (to_tsvector('simple', content)) STORED").execute()
        .compose(added -> client.query("CREATE INDEX IF NOT EXISTS " + collection + "_words ON " + table
            + " USING gin (words)").execute())
        .mapEmpty();
  }

  private static String table(String collection) {
    return "magi." + VectorStore.checkCollection(collection);
  }

  @Override
  public Future<Void> createCollection(String collection, int dimensions) {
    if (dimensions < 1 || dimensions > 16000) {
      return Future.failedFuture(new IllegalArgumentException("dimensions must be 1-16000, got " + dimensions));
    }
    String table = table(collection);
    return bounded(pool.withTransaction(connection -> connection.query("CREATE TABLE IF NOT EXISTS " + table
            + " (id text PRIMARY KEY, document_id text NOT NULL, chunk_index integer NOT NULL, content text NOT NULL,"
            + " attributes jsonb NOT NULL DEFAULT '{}', embedding vector(" + dimensions + ") NOT NULL)").execute()
        .compose(created -> connection.query("CREATE INDEX IF NOT EXISTS " + collection + "_document ON " + table
            + " (document_id)").execute())
        .compose(indexed -> keywords(connection, collection)))
        .mapEmpty());
  }

  @Override
  public Future<Void> dropCollection(String collection) {
    Long timer = indexTimers.remove(collection);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
    lastWrite.remove(collection);
    return bounded(pool.query("DROP TABLE IF EXISTS " + table(collection)).execute().mapEmpty());
  }

  /** Rows per insert batch, at most. */
  static final int UPSERT_BATCH = 200;
  /**
   * Connections one upsert writes on at once. Inserting into a table with an HNSW index is bound by the
   * server's CPU (the graph takes each row in turn, about 190 rows/s per connection at 768 dimensions on
   * the project machine), so a write spreads its batches over two backends.
   */
  static final int WRITERS = 2;
  /** Time allowed per row on top of {@link #TIMEOUT_MILLIS}: HNSW indexing of 768 dimensions is not free. */
  static final long MILLIS_PER_ROW = 25;

  /**
   * Inserts in batches of at most {@link #UPSERT_BATCH}, of equal size, {@link #WRITERS} at a time. A
   * chunk id given twice keeps its last chunk. Each batch may take {@link #TIMEOUT_MILLIS} plus
   * {@link #MILLIS_PER_ROW} per row: into an indexed table, 200 rows of 768 dimensions take about a second
   * on two cores (measured by bench/retrieval.sh). A database that is down still fails within the
   * connection timeouts. When a batch fails, the others may have been written: the caller retries the
   * whole write, which replaces them.
   */
  @Override
  public Future<Void> upsert(String collection, List<Chunk> chunks) {
    Map<String, Chunk> byId = new java.util.LinkedHashMap<>();
    chunks.forEach(chunk -> byId.put(chunk.id(), chunk));
    List<Chunk> unique = new ArrayList<>(byId.values());
    int batches = (unique.size() + UPSERT_BATCH - 1) / UPSERT_BATCH;
    batches = (batches + WRITERS - 1) / WRITERS * WRITERS;
    int size = Math.max(1, (unique.size() + batches - 1) / batches);
    java.util.Queue<List<Chunk>> queue = new java.util.ArrayDeque<>();
    for (int from = 0; from < unique.size(); from += size) {
      queue.add(unique.subList(from, Math.min(unique.size(), from + size)));
    }
    List<Future<Void>> writers = new ArrayList<>(WRITERS);
    for (int i = 0; i < WRITERS; i++) {
      writers.add(drain(collection, queue));
    }
    return Future.all(writers).<Void>mapEmpty().onSuccess(v -> indexWhenIdle(collection));
  }

  /** Writes the queue's batches one after the other, until it is empty or a batch fails. */
  private Future<Void> drain(String collection, java.util.Queue<List<Chunk>> queue) {
    List<Chunk> batch;
    synchronized (queue) {
      batch = queue.poll();
    }
    return batch == null ? Future.succeededFuture()
        : upsertBatch(collection, batch).compose(v -> drain(collection, queue));
  }

  /** Plans the collection's HNSW index for when its writes stop ({@link IndexPolicy}). */
  private void indexWhenIdle(String collection) {
    lastWrite.put(collection, System.nanoTime());
    indexTimers.computeIfAbsent(collection, c -> vertx.setTimer(indexPolicy.idleMillis(), id -> idleCheck(c)));
  }

  private void idleCheck(String collection) {
    Long last = lastWrite.get(collection);
    long idle = last == null ? Long.MAX_VALUE : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - last);
    if (idle < indexPolicy.idleMillis()) {
      indexTimers.put(collection, vertx.setTimer(indexPolicy.idleMillis() - idle, id -> idleCheck(collection)));
      return;
    }
    indexTimers.remove(collection);
    lastWrite.remove(collection);
    indexIfLarge(collection).onFailure(failure -> LOG.warning(() -> "vector index of " + collection
        + " not built: " + failure.getMessage()));
  }

  /**
   * Builds the collection's HNSW index when it holds enough chunks and has none (or only one a failed
   * build left invalid): concurrently, so that writes and searches go on, with 512 MB of
   * {@code maintenance_work_mem} and one parallel worker for this session only. The index holds the
   * vectors in half precision ({@code halfvec}): half the pages to walk, so searches are faster (p99 at
   * 100,000 × 768 on the project machine: see bench/retrieval.sh) at no measurable cost in recall, and
   * vectors of up to 4,000 dimensions can be indexed (2,000 in full precision). An index in full
   * precision that an earlier version built is dropped once the new one is ready.
   */
  Future<Void> indexIfLarge(String collection) {
    if (!indexing.add(collection)) {
      return Future.succeededFuture();
    }
    String table = table(collection);
    String index = vectorIndex(collection);
    return bounded(pool.query("SELECT (SELECT count(*) FROM " + table + ") AS rows, (SELECT i.indisvalid FROM"
            + " pg_index i WHERE i.indexrelid = to_regclass('magi." + index + "')) AS valid, (SELECT atttypmod FROM"
            + " pg_attribute WHERE attrelid = to_regclass('" + table + "') AND attname = 'embedding') AS dimensions,"
            + " to_regclass('magi." + collection + "_embedding') IS NOT NULL AS full_precision").execute())
        .compose(rows -> {
          Row row = rows.iterator().next();
          Boolean valid = row.getBoolean("valid");
          int dimensions = row.getInteger("dimensions");
          if (Boolean.TRUE.equals(valid) || row.getLong("rows") < indexPolicy.rows()
              || dimensions > MAX_INDEXED_DIMENSIONS) {
            return Future.<Void>succeededFuture();
          }
          long began = System.nanoTime();
          LOG.info(() -> "building the vector index of " + collection + " (" + row.getLong("rows") + " chunks)");
          return bounded(pool.withConnection(connection -> (valid == null ? Future.succeededFuture()
                  : connection.query("DROP INDEX CONCURRENTLY IF EXISTS magi." + index).execute())
              .compose(dropped -> connection.query("SET maintenance_work_mem = '512MB'").execute())
              .compose(set -> connection.query("SET max_parallel_maintenance_workers = 1").execute())
              .compose(set -> connection.query("CREATE INDEX CONCURRENTLY IF NOT EXISTS " + index + " ON " + table
                  + " USING hnsw ((" + half("embedding", dimensions) + ") halfvec_cosine_ops)"
                  + " WITH (m = 16, ef_construction = " + EF_CONSTRUCTION + ")").execute())
              .compose(built -> row.getBoolean("full_precision")
                  ? connection.query("DROP INDEX CONCURRENTLY IF EXISTS magi." + collection + "_embedding").execute()
                  : Future.succeededFuture())
              .eventually(() -> connection.query("RESET maintenance_work_mem; RESET max_parallel_maintenance_workers")
                  .execute())), TimeUnit.HOURS.toMillis(1))
              .<Void>mapEmpty()
              .onSuccess(built -> LOG.info(() -> "vector index of " + collection + " built in "
                  + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began) + " s"));
        })
        .eventually(() -> {
          indexing.remove(collection);
          return Future.succeededFuture();
        });
  }

  /** Most dimensions pgvector indexes in half precision; larger collections are searched exactly. */
  static final int MAX_INDEXED_DIMENSIONS = 4000;

  /** The name of a collection's HNSW index (in the {@code magi} schema). */
  private static String vectorIndex(String collection) {
    return VectorStore.checkCollection(collection) + "_embedding_half";
  }

  /** {@code vector} in half precision, as the index holds it. */
  private static String half(String vector, int dimensions) {
    return "(" + vector + ")::halfvec(" + dimensions + ")";
  }

  /** The cosine distance from {@code vector} that the HNSW index answers: both sides in half precision. */
  private static String indexedDistance(String vector, int dimensions) {
    return half("embedding", dimensions) + " <=> " + half(vector, dimensions);
  }

  /** Whether {@code collection} has a valid HNSW index (else its searches scan it exactly). */
  public Future<Boolean> indexed(String collection) {
    return bounded(pool.query("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass('magi."
        + vectorIndex(collection) + "')").execute())
        .map(rows -> rows.size() == 1 && Boolean.TRUE.equals(rows.iterator().next().getBoolean(0)));
  }

  private Future<Void> upsertBatch(String collection, List<Chunk> chunks) {
    List<Tuple> rows = new ArrayList<>(chunks.size());
    for (Chunk chunk : chunks) {
      rows.add(Tuple.of(chunk.id(), chunk.documentId(), chunk.index(), chunk.text(),
          // A JsonObject binds as a JSON object; a String would be stored as a JSON string.
          new JsonObject(new java.util.HashMap<>(chunk.attributes())), new PGvector(chunk.vector()).getValue()));
    }
    return bounded(pool.preparedQuery("INSERT INTO " + table(collection)
            + " (id, document_id, chunk_index, content, attributes, embedding) VALUES ($1, $2, $3, $4, $5,"
            + " $6::vector) ON CONFLICT (id) DO UPDATE SET document_id = EXCLUDED.document_id, chunk_index ="
            + " EXCLUDED.chunk_index, content = EXCLUDED.content, attributes = EXCLUDED.attributes,"
            + " embedding = EXCLUDED.embedding")
        .executeBatch(rows)
        .mapEmpty(), TIMEOUT_MILLIS + MILLIS_PER_ROW * rows.size());
  }

  @Override
  public Future<Integer> deleteDocument(String collection, String documentId) {
    return bounded(pool.preparedQuery("DELETE FROM " + table(collection) + " WHERE document_id = $1")
        .execute(Tuple.of(documentId)).map(result -> result.rowCount()));
  }

  @Override
  public Future<List<Match>> search(String collection, SearchQuery query) {
    String table = table(collection);
    List<Object> parameters = new ArrayList<>();
    String filter = query.filter().map(f -> sql(f, parameters)).orElse("TRUE");
    String words = String.join(" | ", Words.ofQuery(query.text() == null ? "" : query.text()));
    int depth = query.ranker() == SearchQuery.Ranker.AUTO ? query.candidates() : query.limit();
    String sql;
    if (query.ranker() == SearchQuery.Ranker.VECTOR) {
      // By meaning alone: the score is the cosine similarity.
      parameters.add(new PGvector(query.vector()).getValue());
      String vector = "$" + parameters.size() + "::vector";
      sql = "SELECT id, document_id, content, attributes, 1 - (embedding <=> " + vector + ") AS score FROM " + table
          + " WHERE " + filter + " ORDER BY " + indexedDistance(vector, query.vector().length) + " LIMIT "
          + query.limit();
    } else {
      // One query: each ranking, fused by reciprocal rank with its weight (SearchQuery.Ranker, RankFusion).
      List<String> ranked = new ArrayList<>();
      double total = 0;
      boolean hybrid = query.ranker() == SearchQuery.Ranker.AUTO;
      if (hybrid && query.weights().vector() > 0) {
        parameters.add(new PGvector(query.vector()).getValue());
        String distance = indexedDistance("$" + parameters.size() + "::vector", query.vector().length);
        ranked.add("SELECT id, row_number() OVER (ORDER BY d) AS r, " + query.weights().vector() + "::float8 AS w"
            + " FROM (SELECT id, " + distance + " AS d FROM " + table + " WHERE " + filter + " ORDER BY " + distance
            + " LIMIT " + depth + ") v");
        total += query.weights().vector();
      }
      double textWeight = hybrid ? query.weights().text() : 1;
      if (!words.isEmpty() && textWeight > 0) {
        parameters.add(words);
        String tsquery = "to_tsquery('simple', $" + parameters.size() + ")";
        ranked.add("SELECT id, row_number() OVER (ORDER BY rank DESC, id) AS r, " + textWeight + "::float8 AS w"
            + " FROM (SELECT id, ts_rank(words, " + tsquery + ", 1) AS rank FROM " + table + " WHERE words @@ "
            + tsquery + " AND " + filter + " ORDER BY rank DESC, id LIMIT " + depth + ") k");
        total += textWeight;
      }
      if (ranked.isEmpty()) {
        return Future.succeededFuture(List.of());
      }
      String score = "sum(ranked.w / (" + RankFusion.K + " + ranked.r)) * " + (RankFusion.K + 1) + " / " + total;
      sql = "SELECT t.id, t.document_id, t.content, t.attributes, " + score + " AS score FROM ("
          + String.join(" UNION ALL ", ranked) + ") ranked JOIN " + table + " t ON t.id = ranked.id"
          + " GROUP BY t.id, t.document_id, t.content, t.attributes ORDER BY score DESC, t.id LIMIT " + query.limit();
    }
    String statement = sql;
    boolean iterative = iterativeScan && query.filter().isPresent();
    // The connection's ef_search serves most searches in one statement; a deeper or filtered one sets its
    // own for its transaction.
    Future<io.vertx.sqlclient.RowSet<Row>> rows = depth <= EF_SEARCH && !iterative
        ? pool.preparedQuery(statement).execute(Tuple.wrap(parameters))
        : pool.withTransaction(connection -> connection.query("SET LOCAL hnsw.ef_search = "
                + Math.max(EF_SEARCH, Math.min(1000, depth))
                + (iterative ? "; SET LOCAL hnsw.iterative_scan = relaxed_order" : "")).execute()
            .compose(set -> connection.preparedQuery(statement).execute(Tuple.wrap(parameters))));
    return bounded(rows.map(found -> {
          List<Match> matches = new ArrayList<>();
          for (Row row : found) {
            Object attributes = row.getValue("attributes");
            Map<String, Object> map = attributes instanceof JsonObject json ? json.getMap() : Map.of();
            matches.add(new Match(row.getString("id"), row.getString("document_id"), row.getString("content"), map,
                row.getDouble("score")));
          }
          return RankFusion.keep(matches, query.limit(), query.scoreThreshold());
        }));
  }

  /** The SQL condition for {@code filter}; keys and values are appended to {@code parameters}. */
  static String sql(Filter filter, List<Object> parameters) {
    if (filter instanceof Filter.Compound compound) {
      if (compound.filters().isEmpty()) {
        return compound.and() ? "TRUE" : "FALSE";
      }
      List<String> parts = new ArrayList<>();
      compound.filters().forEach(f -> parts.add("(" + sql(f, parameters) + ")"));
      return String.join(compound.and() ? " AND " : " OR ", parts);
    }
    Filter.Comparison comparison = (Filter.Comparison) filter;
    parameters.add(comparison.key());
    String key = "$" + parameters.size();
    parameters.add(comparison.value() instanceof Number n ? n.doubleValue() : comparison.value());
    String value = "$" + parameters.size();
    String operator = switch (comparison.op()) {
      case EQ, NE -> "=";
      case GT -> ">";
      case GTE -> ">=";
      case LT -> "<";
      case LTE -> "<=";
    };
    // CASE, not AND: SQL does not promise to skip the cast when the JSON type differs.
    String jsonType;
    String typed;
    if (comparison.value() instanceof Number) {
      jsonType = "number";
      typed = "(attributes ->> " + key + ")::float8 " + operator + " " + value + "::float8";
    } else if (comparison.value() instanceof Boolean) {
      jsonType = "boolean";
      boolean orderable = comparison.op() == Filter.Op.EQ || comparison.op() == Filter.Op.NE;
      typed = orderable ? "(attributes ->> " + key + ")::boolean = " + value + "::boolean" : "FALSE";
    } else {
      jsonType = "string";
      typed = "(attributes ->> " + key + ") " + operator + " " + value + "::text";
    }
    String test = "CASE WHEN jsonb_typeof(attributes -> " + key + ") = '" + jsonType + "' THEN " + typed + " END";
    // A missing key, or one of another type, is "not equal".
    return comparison.op() == Filter.Op.NE ? "NOT COALESCE(" + test + ", FALSE)" : "COALESCE(" + test + ", FALSE)";
  }

  @Override
  public Future<Integer> count(String collection) {
    return bounded(pool.query("SELECT count(*) FROM " + table(collection)).execute()
        .map(rows -> rows.iterator().next().getInteger(0)));
  }

  @Override
  public Future<Void> saveInfo(CollectionInfo info) {
    JsonObject json = new JsonObject().put("name", info.name()).put("embedding_model", info.embeddingModel())
        .put("dimensions", info.dimensions()).put("metadata", new JsonObject(new java.util.HashMap<>(info.metadata())));
    return bounded(pool.preparedQuery("INSERT INTO magi.collections (id, info, created_at) VALUES ($1, $2, $3)"
            + " ON CONFLICT (id) DO UPDATE SET info = EXCLUDED.info")
        .execute(Tuple.of(info.id(), json, info.createdAt())).mapEmpty());
  }

  @Override
  public Future<Optional<CollectionInfo>> info(String collection) {
    return bounded(pool.preparedQuery("SELECT id, info, created_at FROM magi.collections WHERE id = $1")
        .execute(Tuple.of(collection))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(info(rows.iterator().next()))));
  }

  @Override
  public Future<List<CollectionInfo>> listInfo() {
    return bounded(pool.query("SELECT id, info, created_at FROM magi.collections ORDER BY created_at, id").execute()
        .map(rows -> {
          List<CollectionInfo> list = new ArrayList<>();
          rows.forEach(row -> list.add(info(row)));
          return list;
        }));
  }

  @Override
  public Future<Void> deleteInfo(String collection) {
    return bounded(pool.preparedQuery("DELETE FROM magi.collections WHERE id = $1").execute(Tuple.of(collection))
        .mapEmpty());
  }

  @Override
  public Future<Void> saveFile(StoredFile file) {
    return bounded(pool.preparedQuery("INSERT INTO magi.files (id, filename, purpose, bytes, created_at, content)"
            + " VALUES ($1, $2, $3, $4, $5, $6)")
        .execute(Tuple.of(file.id(), file.filename(), file.purpose(), file.bytes(), file.createdAt(), file.text()))
        .mapEmpty());
  }

  @Override
  public Future<Optional<StoredFile>> file(String id) {
    return bounded(pool.preparedQuery("SELECT id, filename, purpose, bytes, created_at, content FROM magi.files"
            + " WHERE id = $1").execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(file(rows.iterator().next(), true))));
  }

  @Override
  public Future<List<StoredFile>> listFiles() {
    return bounded(pool.query("SELECT id, filename, purpose, bytes, created_at FROM magi.files ORDER BY created_at, id")
        .execute().map(rows -> {
          List<StoredFile> list = new ArrayList<>();
          rows.forEach(row -> list.add(file(row, false)));
          return list;
        }));
  }

  private static StoredFile file(Row row, boolean withText) {
    return new StoredFile(row.getString("id"), row.getString("filename"), row.getString("purpose"),
        row.getLong("bytes"), row.getLong("created_at"), withText ? row.getString("content") : "");
  }

  @Override
  public Future<Boolean> deleteFile(String id) {
    return bounded(pool.preparedQuery("DELETE FROM magi.files WHERE id = $1").execute(Tuple.of(id))
        .map(result -> result.rowCount() > 0));
  }

  @Override
  public Future<Void> saveAttachment(Attachment a) {
    return bounded(pool.preparedQuery("INSERT INTO magi.attachments (store_id, file_id, status, error, chunks,"
            + " attributes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (store_id, file_id) DO UPDATE"
            + " SET status = EXCLUDED.status, error = EXCLUDED.error, chunks = EXCLUDED.chunks,"
            + " attributes = EXCLUDED.attributes")
        .execute(Tuple.of(a.storeId(), a.fileId(), a.status(), a.error(), a.chunks(),
            new JsonObject(new java.util.HashMap<>(a.attributes())), a.createdAt()))
        .mapEmpty());
  }

  @Override
  public Future<Optional<Attachment>> attachment(String storeId, String fileId) {
    return bounded(pool.preparedQuery("SELECT * FROM magi.attachments WHERE store_id = $1 AND file_id = $2")
        .execute(Tuple.of(storeId, fileId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(attachment(rows.iterator().next()))));
  }

  @Override
  public Future<List<Attachment>> attachments(String storeId) {
    return bounded(pool.preparedQuery("SELECT * FROM magi.attachments WHERE store_id = $1 ORDER BY created_at, file_id")
        .execute(Tuple.of(storeId)).map(rows -> {
          List<Attachment> list = new ArrayList<>();
          rows.forEach(row -> list.add(attachment(row)));
          return list;
        }));
  }

  @Override
  public Future<Boolean> deleteAttachment(String storeId, String fileId) {
    return bounded(pool.preparedQuery("DELETE FROM magi.attachments WHERE store_id = $1 AND file_id = $2")
        .execute(Tuple.of(storeId, fileId)).map(result -> result.rowCount() > 0));
  }

  private static Attachment attachment(Row row) {
    Object attributes = row.getValue("attributes");
    return new Attachment(row.getString("store_id"), row.getString("file_id"), row.getString("status"),
        row.getString("error"), row.getInteger("chunks"),
        attributes instanceof JsonObject json ? json.getMap() : Map.of(), row.getLong("created_at"));
  }

  private static CollectionInfo info(Row row) {
    JsonObject json = (JsonObject) row.getValue("info");
    Map<String, String> metadata = new java.util.LinkedHashMap<>();
    json.getJsonObject("metadata", new JsonObject()).forEach(e -> metadata.put(e.getKey(), String.valueOf(e.getValue())));
    return new CollectionInfo(row.getString("id"), json.getString("name", ""), json.getString("embedding_model", ""),
        json.getInteger("dimensions", 0), row.getLong("created_at"), metadata);
  }

  @Override
  public Future<Void> close() {
    indexTimers.values().forEach(vertx::cancelTimer);
    indexTimers.clear();
    return pool.close();
  }

  /** Fails with {@link RetrievalUnavailableException} when the database does not answer in time or at all. */
  private static <T> Future<T> bounded(Future<T> call) {
    return bounded(call, TIMEOUT_MILLIS);
  }

  private static <T> Future<T> bounded(Future<T> call, long millis) {
    return call.timeout(millis, TimeUnit.MILLISECONDS).recover(failure -> {
      if (failure instanceof IllegalArgumentException || failure instanceof IllegalStateException) {
        return Future.failedFuture(failure);
      }
      String message = String.valueOf(failure.getMessage());
      boolean database = failure instanceof io.vertx.pgclient.PgException;
      if (database && !message.contains("connection")) {
        return Future.failedFuture(new IllegalArgumentException(message));
      }
      return Future.failedFuture(new RetrievalUnavailableException(message, failure));
    });
  }
}
