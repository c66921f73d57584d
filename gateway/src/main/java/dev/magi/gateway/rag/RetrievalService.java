package dev.magi.gateway.rag;

import dev.magi.gateway.config.MagiConfig;
import dev.magi.retrieval.Chunk;
import dev.magi.retrieval.Chunker;
import dev.magi.retrieval.CollectionInfo;
import dev.magi.retrieval.Embedder;
import dev.magi.retrieval.Filter;
import dev.magi.retrieval.InMemoryVectorStore;
import dev.magi.retrieval.Match;
import dev.magi.retrieval.PgVectorStore;
import dev.magi.retrieval.RetrievalUnavailableException;
import dev.magi.retrieval.VectorStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Vector stores as the API sees them: create (learning the model's dimensions), ingest documents
 * (chunk, embed, upsert), search (embed the query, search the collection). The store is pgvector when
 * {@code DATABASE_URL} is set, else in memory.
 */
public final class RetrievalService {

  private static final Logger LOG = Logger.getLogger(RetrievalService.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();

  private final VectorStore store;
  private final Embedder embedder;
  private final MagiConfig.Retrieval config;
  private final Clock clock;
  private final boolean persistent;
  private volatile Future<Void> ready;
  private final Vertx vertx;

  /** A document to ingest: {@code id} (generated when absent), text, attributes. */
  public record Document(Optional<String> id, String text, Map<String, Object> attributes) {
  }

  public RetrievalService(Vertx vertx, MagiConfig.Retrieval config, Embedder embedder, Clock clock) {
    this.vertx = vertx;
    this.config = config;
    this.embedder = embedder;
    this.clock = clock;
    this.persistent = config.databaseUrl().isPresent();
    this.store = config.databaseUrl()
        .<VectorStore>map(url -> PgVectorStore.connect(vertx, url, config.password(), 8))
        .orElseGet(InMemoryVectorStore::new);
  }

  /** Whether vector stores survive a restart (PostgreSQL), or live in memory. */
  public boolean persistent() {
    return persistent;
  }

  /** Prepares the store (schema, extension); a failure is retried by the next call. */
  public Future<Void> ready() {
    Future<Void> current = ready;
    if (current != null && (!current.isComplete() || current.succeeded())) {
      return current;
    }
    Future<Void> attempt = store instanceof PgVectorStore pg ? pg.initialise() : Future.succeededFuture();
    attempt.onFailure(failure -> LOG.warning(() -> "retrieval database not ready: " + failure.getMessage()));
    ready = attempt;
    return attempt;
  }

  /** Whether the store answers now (for {@code /readyz}); never slower than the store's timeout. */
  public Future<Boolean> healthy() {
    return ready().compose(v -> store.listInfo()).map(list -> true).otherwise(false);
  }

  /** Creates a vector store; an embedding of a probe text tells its dimensions. */
  public Future<CollectionInfo> create(String name, Optional<String> model, Map<String, String> metadata) {
    String embeddingModel = model.orElse(config.embeddingModel());
    String id = "vs_" + HexFormat.of().formatHex(randomBytes(12));
    return ready()
        .compose(v -> embedder.embed(embeddingModel, List.of("dimensions probe")))
        .compose(vectors -> {
          CollectionInfo info = new CollectionInfo(id, name, embeddingModel, vectors.get(0).length,
              clock.instant().getEpochSecond(), metadata);
          return store.createCollection(id, info.dimensions()).compose(c -> store.saveInfo(info)).map(info);
        });
  }

  public Future<List<CollectionInfo>> list() {
    return ready().compose(v -> store.listInfo());
  }

  /** The store's record; a failed {@link java.util.NoSuchElementException} future when there is none. */
  public Future<CollectionInfo> get(String id) {
    if (!VectorStore.COLLECTION_ID.matcher(id).matches()) {
      return Future.failedFuture(new java.util.NoSuchElementException("No vector store '" + id + "'."));
    }
    return ready().compose(v -> store.info(id)).compose(info -> info.map(Future::succeededFuture).orElseGet(() ->
        Future.failedFuture(new java.util.NoSuchElementException("No vector store '" + id + "'."))));
  }

  public Future<Void> delete(String id) {
    return get(id).compose(info -> store.dropCollection(id)).compose(v -> store.deleteInfo(id));
  }

  /** Chunks, embeds and stores documents; a document id that exists is replaced. Returns ids and chunk counts. */
  public Future<Map<String, Integer>> ingest(String id, List<Document> documents, int chunkTokens, int overlap) {
    return get(id).compose(info -> {
      Map<String, Integer> counts = new java.util.LinkedHashMap<>();
      List<Chunk> pending = new ArrayList<>();
      for (Document document : documents) {
        String documentId = document.id().orElseGet(() -> "doc_" + HexFormat.of().formatHex(randomBytes(12)));
        List<String> pieces = Chunker.split(document.text(), chunkTokens, overlap);
        counts.put(documentId, pieces.size());
        for (int i = 0; i < pieces.size(); i++) {
          pending.add(new Chunk(documentId + ":" + i, documentId, i, pieces.get(i), new float[0],
              document.attributes()));
        }
      }
      List<String> texts = pending.stream().map(Chunk::text).toList();
      return embedder.embed(info.embeddingModel(), texts).compose(vectors -> {
        List<Chunk> chunks = new ArrayList<>(pending.size());
        for (int i = 0; i < pending.size(); i++) {
          if (vectors.get(i).length != info.dimensions()) {
            return Future.failedFuture(new IllegalArgumentException("the embedding model '" + info.embeddingModel()
                + "' makes vectors of " + vectors.get(i).length + " dimensions; this vector store holds "
                + info.dimensions()));
          }
          Chunk c = pending.get(i);
          chunks.add(new Chunk(c.id(), c.documentId(), c.index(), c.text(), vectors.get(i), c.attributes()));
        }
        List<Future<Integer>> replaced = new ArrayList<>();
        counts.keySet().forEach(documentId -> replaced.add(store.deleteDocument(id, documentId)));
        return Future.all(replaced).compose(d -> store.upsert(id, chunks)).map(counts);
      });
    });
  }

  /** Embeds {@code query} with the store's model and returns the best matches. */
  public Future<List<Match>> search(String id, String query, int limit, Optional<Filter> filter) {
    return get(id).compose(info -> embedder.embed(info.embeddingModel(), List.of(query))
        .compose(vectors -> store.search(id, vectors.get(0), limit, filter)));
  }

  /** Whether {@code failure} means the store, not the request, is the problem. */
  public static boolean unavailable(Throwable failure) {
    return failure instanceof RetrievalUnavailableException;
  }

  public Future<Void> close() {
    return store.close();
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
