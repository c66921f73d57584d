package dev.magi.gateway.rag;

import dev.magi.gateway.config.MagiConfig;
import dev.magi.retrieval.RetrievalService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

/** Retrieval wired together: the service, its API, chat retrieval, and a health flag for {@code /readyz}. */
public final class Retrieval {

  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Retrieval.class.getName());

  private final RetrievalService service;
  private final VectorStoresApi api;
  private final FilesApi files;
  private final ChatRetrieval chat;
  private final AtomicInteger port = new AtomicInteger();
  private volatile boolean available = true;

  /** What the gateway says about vector stores that live in memory: at startup, in {@code /readyz}. */
  public static final String IN_MEMORY_WARNING = "Vector stores and files are kept in memory (retrieval.store: "
      + "memory) and are lost when Magi stops; leave retrieval.store at auto to keep them on disk.";

  /** Where the store is, for the log. */
  private final String where;

  /**
   * Wires retrieval for {@code config}. Creates the uploads directory under the data directory,
   * readable by this user only; call it before any event loop serves (it touches the file system).
   *
   * @param gatewayKey a key the gateway accepts (its own), for retrieval's requests to models through
   *     it; empty when the gateway requires none
   * @throws IllegalStateException when the uploads directory cannot be made private
   */
  public Retrieval(Vertx vertx, MagiConfig config, dev.magi.gateway.metrics.EventMeters events,
      java.util.Optional<String> gatewayKey) {
    io.vertx.core.http.HttpClient loopback = vertx.createHttpClient(new HttpClientOptions().setKeepAliveTimeout(3));
    Loopback gateway = new Loopback(loopback, port::get, gatewayKey);
    LoopbackEmbedder embedder = new LoopbackEmbedder(gateway);
    MagiConfig.Retrieval given = config.retrieval();
    RetrievalService.Settings settings = new RetrievalService.Settings(given.store(), given.databaseUrl(),
        given.password(), config.models().dataDir(), given.embeddingModel(), given.maxDocumentBytes());
    this.service = new RetrievalService(vertx, settings, embedder, Clock.systemUTC(), events::retrieval);
    this.api = new VectorStoresApi(service, config.retrieval());
    this.files = new FilesApi(service, config.retrieval(), privateDirectory(config.models().dataDir().resolve(
        "uploads")));
    this.chat = new ChatRetrieval(service, config.retrieval().rerankModel().map(model -> new ChatRetrieval.Reranking(
        model, new LoopbackReranker(gateway))));
    this.where = switch (config.retrieval().store()) {
      case POSTGRES -> withoutCredentials(config.retrieval().databaseUrl().orElseThrow());
      case DISK -> settings.diskDirectory().toString();
      case MEMORY -> "memory";
    };
    if (service.persistent()) {
      LOG.info("vector stores and files: " + service.storeName() + " (" + where + ")");
    } else {
      LOG.warning(IN_MEMORY_WARNING);
    }
    events.retrievalStore(service.storeName(), this::available);
  }

  /** The database's address for the log: scheme, host, port and database, never a user or password. */
  static String withoutCredentials(String url) {
    try {
      java.net.URI uri = java.net.URI.create(url.trim());
      return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
          + (uri.getPath() == null ? "" : uri.getPath());
    } catch (IllegalArgumentException e) {
      return "the configured database";
    }
  }

  /** {@code dir}, created if needed, with mode 0700 (uploads may be anyone's documents). */
  static java.nio.file.Path privateDirectory(java.nio.file.Path dir) {
    try {
      java.nio.file.Files.createDirectories(dir);
      java.nio.file.Files.setPosixFilePermissions(dir,
          java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      return dir;
    } catch (java.io.IOException | UnsupportedOperationException e) {
      throw new IllegalStateException("cannot make " + dir + " a private directory: " + e.getMessage(), e);
    }
  }

  /** Tells the embedder where the gateway listens, and starts checking the store every 5 s. */
  public void start(Vertx vertx, int gatewayPort) {
    port.set(gatewayPort);
    check();
    vertx.setPeriodic(5000, id -> check());
  }

  /**
   * Asks the store whether it answers, and logs an outage once when it begins (with the database's
   * own words, which clients never see) and once when it ends.
   */
  private void check() {
    service.health().onComplete(result -> {
      java.util.Optional<String> problem = result.succeeded() ? result.result()
          : java.util.Optional.of(String.valueOf(result.cause()));
      boolean now = problem.isEmpty();
      if (available && !now) {
        LOG.warning("retrieval database unavailable: " + problem.get() + " (" + where + ")");
      } else if (!available && now) {
        LOG.info("retrieval database available again");
      }
      available = now;
    });
  }

  /** Whether the store answered its last check. */
  public boolean available() {
    return available;
  }

  public RetrievalService service() {
    return service;
  }

  public VectorStoresApi api() {
    return api;
  }

  public FilesApi files() {
    return files;
  }

  public ChatRetrieval chat() {
    return chat;
  }

  /** Closes the store (its indexes on disk, or its database connections). */
  public io.vertx.core.Future<Void> close() {
    return service.close().otherwiseEmpty();
  }
}
