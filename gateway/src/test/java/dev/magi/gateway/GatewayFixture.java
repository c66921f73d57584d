package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.magi.gateway.config.ConfigLoader;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.FakeOllama;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A gateway running in-process on an ephemeral port, with fake backends on the same Vert.x
 * instance. Closing it stops everything, and fails the test if an event loop was reported blocked or
 * a failure was logged as unhandled.
 */
final class GatewayFixture implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** The same transport as {@code magi serve}: what ships is what is tested. */
  final Vertx vertx = Gateway.newVertx(dev.magi.gateway.config.NetworkTransport.AUTO.resolve(), null);
  private final List<String> blockedWarnings = new CopyOnWriteArrayList<>();
  private final Handler blockedThreadWatcher = new Handler() {
    @Override
    public void publish(LogRecord record) {
      String message = record.getMessage();
      boolean blocked = message != null && message.contains("has been blocked for");
      boolean unhandled = record.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue();
      if (blocked || unhandled) {
        blockedWarnings.add(record.getLoggerName() + ": " + message
            + (record.getThrown() == null ? "" : " " + record.getThrown()));
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };
  private Gateway gateway;

  GatewayFixture() {
    Logger.getLogger("").addHandler(blockedThreadWatcher);
  }

  /** Starts a fake llama-server with {@code options}. */
  FakeLlamaServer llama(FakeLlamaServer.Options options) {
    return Await.result(FakeLlamaServer.start(vertx, options));
  }

  /** Starts a fake Ollama with {@code options}. */
  FakeOllama ollama(FakeOllama.Options options) {
    return Await.result(FakeOllama.start(vertx, options));
  }

  /** Starts the gateway with this YAML (port 0, two event loops, unless the YAML says otherwise). */
  GatewayFixture start(String yaml) {
    return start(yaml, Map.of());
  }

  /**
   * Starts the gateway with this YAML and environment (MAGI_PORT is always 0). Vector stores live in memory
   * unless {@code env} or a database URL says otherwise ({@code MAGI_RETRIEVAL_STORE}): gateways of one test JVM share its
   * working directory, and a store on disk belongs to one process.
   */
  GatewayFixture start(String yaml, Map<String, String> env) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("MAGI_PORT", "0");
    inMemoryUnlessDatabase(all, yaml);
    MagiConfig config = ConfigLoader.fromYaml(yaml, all);
    gateway = Await.result(Gateway.start(vertx, config));
    return this;
  }

  /**
   * Starts the gateway from a configuration file, as {@code magi serve --config file} does, so that
   * it can be reloaded (MAGI_PORT is always 0).
   */
  GatewayFixture startFromFile(java.nio.file.Path file) {
    Map<String, String> env = new java.util.HashMap<>(Map.of("MAGI_PORT", "0", "MAGI_CONFIG", file.toString()));
    try {
      inMemoryUnlessDatabase(env, java.nio.file.Files.readString(file));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    MagiConfig config = ConfigLoader.load(java.util.List.of(), env);
    gateway = Await.result(Gateway.start(vertx, config, () -> ConfigLoader.load(java.util.List.of(), env),
        java.util.Optional.of(file), config.metrics().enabled() ? new dev.magi.gateway.metrics.GatewayMetrics() : null));
    return this;
  }

  /**
   * Vector stores in memory unless the test names a database or a store: gateways of one test JVM share its
   * working directory, and a store on disk belongs to one process.
   */
  private static void inMemoryUnlessDatabase(Map<String, String> env, String yaml) {
    if (!env.containsKey("DATABASE_URL") && !yaml.contains("database_url:")) {
      env.putIfAbsent("MAGI_RETRIEVAL_STORE", "memory");
    }
  }

  Gateway gateway() {
    return gateway;
  }

  /** {@code http://127.0.0.1:<port>}. */
  String url() {
    return "http://127.0.0.1:" + gateway.port();
  }

  /** {@code url() + "/v1"}, the base URL an OpenAI SDK is given. */
  String apiBase() {
    return url() + "/v1";
  }

  HttpResponse<String> post(String path, String json) {
    return send(HttpRequest.newBuilder(URI.create(url() + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /** A POST with {@code Authorization: Bearer <key>}. */
  HttpResponse<String> post(String path, String json, String key) {
    return send(HttpRequest.newBuilder(URI.create(url() + path)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(URI.create(url() + path)).GET().build());
  }

  HttpResponse<String> delete(String path) {
    return send(HttpRequest.newBuilder(URI.create(url() + path)).DELETE().build());
  }

  static HttpResponse<String> send(HttpRequest request) {
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private boolean closed;

  /**
   * Ends this gateway as a crash would: its Vert.x instance (its sockets, its fake backends, its
   * heartbeats) goes away without the gateway's own stop, so it leaves nothing behind on purpose.
   */
  void crash() {
    closed = true;
    Await.result(vertx.close());
    Logger.getLogger("").removeHandler(blockedThreadWatcher);
  }

  /** Stops everything; later calls do nothing. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (gateway != null) {
        Await.result(gateway.stop());
      }
      Await.result(vertx.close());
    } finally {
      Logger.getLogger("").removeHandler(blockedThreadWatcher);
    }
    assertEquals(List.of(), blockedWarnings, "an event loop was blocked, or a failure went unhandled");
  }
}
