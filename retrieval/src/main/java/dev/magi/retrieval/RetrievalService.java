package dev.magi.retrieval;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Retrieval as its APIs use it: vector stores created (an embedding of a probe tells the model's
 * dimensions), documents ingested (chunked, embedded, stored; a file attached is ingested in the
 * background and its attachment records how that ended), searched (the query embedded, then searched
 * by meaning, by its words or both), and uploaded files read into text. The store is chosen by
 * {@link Settings#store()}: PostgreSQL with pgvector, Lucene on disk, or memory.
 *
 * <p>Every method returns a future and never blocks: the stores' blocking work runs on workers.
 * Failures: {@link java.util.NoSuchElementException} for a store, file or attachment that does not
 * exist, {@link IllegalArgumentException} for a request the store cannot take (its message says why,
 * in words fit for a client), {@link RetrievalUnavailableException} when the store cannot be reached.
 */
public final class RetrievalService {

  private static final Logger LOG = Logger.getLogger(RetrievalService.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();
  /** How uploaded files' ids begin (and so the ids of the documents ingested from them). */
  private static final String FILE_PREFIX = "file-";

  private final VectorStore store;
  private final FileStore files;
  private final Embedder embedder;
  private final Settings settings;
  private final Clock clock;
  private volatile Future<Void> ready;
  private final Vertx vertx;
  private final Meter meter;

  /** Where vector stores and files live. */
  public enum Store {
    /** PostgreSQL with pgvector, at {@link Settings#databaseUrl()}. */
    POSTGRES("postgresql"),
    /** On disk under the data directory ({@code <data>/retrieval}), with Lucene. */
    DISK("disk"),
    /** In memory: lost when Magi stops (for tests and throwaway setups). */
    MEMORY("memory");

    private final String label;

    Store(String label) {
      this.label = label;
    }

    /** Its name in metrics and logs: {@code postgresql}, {@code disk} or {@code memory}. */
    public String label() {
      return label;
    }
  }

  /**
   * What the service needs to know.
   *
   * @param store where vector stores and files live
   * @param databaseUrl PostgreSQL's address ({@code postgresql://user@host:port/db}); needed for
   *     {@link Store#POSTGRES}
   * @param password overrides the URL's password when present
   * @param dataDir the data directory, under which the disk store lives ({@code retrieval/})
   * @param embeddingModel the model a vector store embeds with when its creator names none
   * @param maxDocumentBytes the most an uploaded file may hold
   */
  public record Settings(Store store, Optional<String> databaseUrl, Optional<String> password, Path dataDir,
      String embeddingModel, long maxDocumentBytes) {

    /** Where the disk store keeps its indexes: {@code <data>/retrieval}. */
    public Path diskDirectory() {
      return dataDir.resolve("retrieval");
    }
  }

  /** Where operations are measured: each one's name, store, outcome and duration. */
  @FunctionalInterface
  public interface Meter {
    /** Measures nothing. */
    Meter NONE = (operation, store, outcome, nanos) -> { };

    /**
     * @param operation {@code create}, {@code delete}, {@code ingest}, {@code search}, {@code upload},
     *     {@code attach} or {@code detach}
     * @param store {@link Store#label()}
     * @param outcome {@code ok}, {@code unavailable} (the store could not be reached) or {@code error}
     *     (the request's own fault, or a missing record)
     */
    void measured(String operation, String store, String outcome, long nanos);
  }

  /** A document to ingest: {@code id} (generated when absent), text, attributes. */
  public record Document(Optional<String> id, String text, Map<String, Object> attributes) {
  }

  /**
   * Opens the store: on disk, that reads its catalogue (blocking: call it off the event loops).
   *
   * @param meter where operations are measured ({@link Meter#NONE}: nowhere)
   */
  public RetrievalService(Vertx vertx, Settings settings, Embedder embedder, Clock clock, Meter meter) {
    this.vertx = vertx;
    this.meter = meter;
    this.settings = settings;
    this.embedder = embedder;
    this.clock = clock;
    switch (settings.store()) {
      case POSTGRES -> {
        PgVectorStore pg = PgVectorStore.connect(vertx, settings.databaseUrl().orElseThrow(), settings.password(), 8);
        this.store = pg;
        this.files = pg;
      }
      case DISK -> {
        LuceneVectorStore disk = new LuceneVectorStore(vertx, settings.diskDirectory());
        this.store = disk;
        this.files = disk;
      }
      default -> {
        InMemoryVectorStore memory = new InMemoryVectorStore();
        this.store = memory;
        this.files = memory;
      }
    }
  }

  /** The kind of store, as the metrics label it: {@code postgresql}, {@code disk} or {@code memory}. */
  public String storeName() {
    return settings.store().label();
  }

  /**
   * Runs {@code operation} and measures it: how long it took, and whether it succeeded, found the store
   * unavailable, or failed for the request's own reasons.
   */
  private <T> Future<T> measured(String operation, java.util.function.Supplier<Future<T>> run) {
    long began = System.nanoTime();
    Future<T> result;
    try {
      result = run.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.onComplete(done -> meter.measured(operation, storeName(), done.succeeded() ? "ok"
        : unavailable(done.cause()) ? "unavailable" : "error", System.nanoTime() - began));
  }

  /** Whether vector stores survive a restart (PostgreSQL, disk), or live in memory. */
  public boolean persistent() {
    return settings.store() != Store.MEMORY;
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

  /**
   * Asks the store whether it answers (for {@code /readyz}); never slower than the store's timeout.
   *
   * @return empty when it does, else what went wrong, in words for the log (it may name the database's address)
   */
  public Future<Optional<String>> health() {
    return ready().compose(v -> store.listInfo()).map(list -> Optional.<String>empty())
        .otherwise(failure -> Optional.of(failure instanceof RetrievalUnavailableException unavailable
            ? unavailable.detail() : String.valueOf(failure.getMessage())));
  }

  /** Creates a vector store; an embedding of a probe text tells its dimensions. */
  public Future<CollectionInfo> create(String name, Optional<String> model, Map<String, String> metadata) {
    return measured("create", () -> {
      String embeddingModel = model.orElse(settings.embeddingModel());
      String id = "vs_" + HexFormat.of().formatHex(randomBytes(12));
      return ready()
          .compose(v -> embedder.embed(embeddingModel, List.of("dimensions probe")))
          .compose(vectors -> {
            CollectionInfo info = new CollectionInfo(id, name, embeddingModel, vectors.get(0).length,
                clock.instant().getEpochSecond(), metadata);
            return store.createCollection(id, info.dimensions()).compose(c -> store.saveInfo(info)).map(info);
          });
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
    return measured("delete", () -> get(id).compose(info -> store.dropCollection(id))
        .compose(v -> store.deleteInfo(id)));
  }

  /** Chunks, embeds and stores documents; a document id that exists is replaced. Returns ids and chunk counts. */
  public Future<Map<String, Integer>> ingest(String id, List<Document> documents, int chunkTokens, int overlap) {
    return measured("ingest", () -> {
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
    });
  }

  /**
   * A search as a client asks it: the query's text (embedded with the store's model unless only its
   * words are searched), and how the matches are found, filtered and ranked ({@link SearchQuery}).
   */
  public record SearchRequest(String text, int limit, Optional<Filter> filter, SearchQuery.Ranker ranker,
      double scoreThreshold, SearchQuery.Weights weights) {

    /** A hybrid search (by meaning and by words, counting alike) with no threshold. */
    public static SearchRequest hybrid(String text, int limit, Optional<Filter> filter) {
      return new SearchRequest(text, limit, filter, SearchQuery.Ranker.AUTO, 0, SearchQuery.Weights.EQUAL);
    }

  }

  /**
   * The best matches for {@code request} in vector store {@code id}, best first. The query is embedded
   * only when a ranking by meaning runs.
   */
  public Future<List<Match>> search(String id, SearchRequest request) {
    return measured("search", () -> get(id).compose(info -> (SearchQuery.byMeaning(request.ranker(),
            request.weights()) ? embedder.embed(info.embeddingModel(), List.of(request.text())).map(v -> v.get(0))
            : Future.<float[]>succeededFuture(null))
        .compose(vector -> store.search(id, new SearchQuery(vector, request.text(), request.limit(),
            request.filter(), request.ranker(), request.scoreThreshold(), request.weights())))));
  }

  /**
   * Stores an uploaded file with its text ({@link DocumentText}: text, Markdown, JSON, CSV, HTML, PDF),
   * read on a worker.
   *
   * @return the stored file; a failed {@link IllegalArgumentException} future, saying why, for another type
   *     or a file that cannot be read as its name says
   */
  public Future<StoredFile> upload(String filename, String purpose, byte[] content) {
    return measured("upload", () -> vertx.<String>executeBlocking(() -> DocumentText.extract(filename, content,
            (int) Math.min(Integer.MAX_VALUE - 8, settings.maxDocumentBytes())), false)
        .compose(text -> {
          StoredFile file = new StoredFile(FILE_PREFIX + HexFormat.of().formatHex(randomBytes(12)), filename, purpose,
              content.length, clock.instant().getEpochSecond(), text);
          return ready().compose(v -> files.saveFile(file)).map(file);
        }));
  }

  /**
   * The names of the uploaded files among {@code matches}' documents, by file id (documents added as
   * text have none). Never fails: a store that cannot be read gives no names.
   */
  public Future<Map<String, String>> filenames(List<Match> matches) {
    if (matches.stream().noneMatch(match -> match.documentId().startsWith(FILE_PREFIX))) {
      return Future.succeededFuture(Map.of());
    }
    return listFiles().map(all -> {
      Map<String, String> names = new java.util.HashMap<>();
      for (StoredFile file : all) {
        names.put(file.id(), file.filename());
      }
      return names;
    }).otherwise(Map.of());
  }

  public Future<List<StoredFile>> listFiles() {
    return ready().compose(v -> files.listFiles());
  }

  /** The file; a failed {@link java.util.NoSuchElementException} future when there is none. */
  public Future<StoredFile> file(String id) {
    return ready().compose(v -> files.file(id)).compose(found -> found.map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(new java.util.NoSuchElementException("No file '" + id + "'."))));
  }

  public Future<Void> deleteFile(String id) {
    return file(id).compose(f -> files.deleteFile(id)).mapEmpty();
  }

  /**
   * Attaches a file to a vector store: records it {@code in_progress} at once, then chunks, embeds and
   * stores it in the background, ending {@code completed} or {@code failed} (with the reason).
   *
   * @return the attachment as first recorded
   */
  public Future<Attachment> attach(String storeId, String fileId, Map<String, Object> attributes, int chunkTokens,
      int overlap) {
    return measured("attach", () -> {
      return get(storeId).compose(info -> file(fileId)).compose(file -> {
        Attachment pending = new Attachment(storeId, fileId, "in_progress", "", 0, attributes,
            clock.instant().getEpochSecond());
        return files.saveAttachment(pending).map(saved -> {
          ingest(storeId, List.of(new Document(Optional.of(fileId), file.text(), attributes)), chunkTokens, overlap)
              .compose(counts -> files.saveAttachment(pending.with("completed", "", counts.getOrDefault(fileId, 0))))
              .recover(failure -> files.saveAttachment(pending.with("failed", String.valueOf(failure.getMessage()), 0)))
              .onFailure(failure -> LOG.warning(() -> "cannot record the ingestion of " + fileId + ": "
                  + failure.getMessage()));
          return pending;
        });
      });
    });
  }

  /** The attachment; a failed {@link java.util.NoSuchElementException} future when there is none. */
  public Future<Attachment> attachment(String storeId, String fileId) {
    return ready().compose(v -> files.attachment(storeId, fileId)).compose(found -> found.map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(new java.util.NoSuchElementException("File '" + fileId
            + "' is not in vector store '" + storeId + "'."))));
  }

  public Future<List<Attachment>> attachments(String storeId) {
    return get(storeId).compose(info -> files.attachments(storeId));
  }

  /** Detaches a file: its chunks leave the store (the file itself stays). */
  public Future<Void> detach(String storeId, String fileId) {
    return measured("detach", () -> attachment(storeId, fileId)
        .compose(a -> store.deleteDocument(storeId, fileId))
        .compose(n -> files.deleteAttachment(storeId, fileId))
        .mapEmpty());
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
