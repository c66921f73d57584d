package dev.magi.gateway.rag;

import dev.magi.gateway.config.MagiConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

/** Retrieval wired together: the service, its API, chat retrieval, and a health flag for {@code /readyz}. */
public final class Retrieval {

  private final RetrievalService service;
  private final VectorStoresApi api;
  private final FilesApi files;
  private final ChatRetrieval chat;
  private final AtomicInteger port = new AtomicInteger();
  private volatile boolean available = true;

  public Retrieval(Vertx vertx, MagiConfig config) {
    LoopbackEmbedder embedder = new LoopbackEmbedder(vertx.createHttpClient(new HttpClientOptions()
        .setKeepAliveTimeout(3)), port::get, config.apiKeys().stream().findFirst());
    this.service = new RetrievalService(vertx, config.retrieval(), embedder, Clock.systemUTC());
    this.api = new VectorStoresApi(service, config.retrieval());
    this.files = new FilesApi(service, config.retrieval());
    this.chat = new ChatRetrieval(service);
  }

  /** Tells the embedder where the gateway listens, and starts checking the store every 5 s. */
  public void start(Vertx vertx, int gatewayPort) {
    port.set(gatewayPort);
    check();
    vertx.setPeriodic(5000, id -> check());
  }

  private void check() {
    service.healthy().onComplete(result -> available = result.succeeded() && result.result());
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
}
