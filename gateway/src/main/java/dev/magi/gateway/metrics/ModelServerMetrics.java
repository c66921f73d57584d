package dev.magi.gateway.metrics;

import dev.magi.servers.ServerInfo;
import dev.magi.servers.ServerState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The local llama-servers' own series ({@code llamacpp:*}; Magi starts them with {@code --metrics}),
 * re-exported on Magi's {@code /metrics} with {@code model} and {@code instance} labels, so that one
 * scrape target covers the gateway and every model server behind it. Each ready server is asked at
 * each scrape, all at once, within {@link #TIMEOUT_MILLIS}; one that does not answer in time, answers
 * with an error, or says too much is skipped and counted in
 * {@code magi_model_server_scrape_failures_total{model}}.
 */
public final class ModelServerMetrics {

  /** Longest wait for one server's metrics. */
  static final long TIMEOUT_MILLIS = 1000;
  /** Most bytes read from one server. */
  static final int MAX_BYTES = 1 << 20;
  /** The families taken from a server. */
  static final String PREFIX = "llamacpp:";

  private final HttpClient client;
  private final Supplier<List<ServerInfo>> servers;
  private final MeterRegistry registry;

  /**
   * @param client what asks the servers (on loopback)
   * @param servers the local model servers now
   */
  public ModelServerMetrics(HttpClient client, Supplier<List<ServerInfo>> servers, MeterRegistry registry) {
    this.client = client;
    this.servers = servers;
    this.registry = registry;
  }

  /** Every ready server's series, merged; never fails (a server that fails is left out). */
  public Future<String> scrape() {
    List<ServerInfo> ready = servers.get().stream().filter(s -> s.state() == ServerState.READY && s.port() > 0)
        .toList();
    if (ready.isEmpty()) {
      return Future.succeededFuture("");
    }
    List<Future<ExpositionMerge.Source>> asked = new ArrayList<>();
    for (ServerInfo server : ready) {
      asked.add(ask(server).recover(failure -> {
        Counter.builder("magi.model.server.scrape.failures")
            .description("Times a local model server's metrics could not be read at a scrape")
            .tag("model", server.model()).register(registry).increment();
        return Future.succeededFuture(null);
      }));
    }
    return Future.join(asked).map(done -> {
      List<ExpositionMerge.Source> sources = new ArrayList<>();
      asked.forEach(one -> {
        if (one.result() != null) {
          sources.add(one.result());
        }
      });
      return ExpositionMerge.merge(sources, PREFIX);
    });
  }

  private Future<ExpositionMerge.Source> ask(ServerInfo server) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(server.port()).setURI("/metrics").setTimeout(TIMEOUT_MILLIS);
    return client.request(options).compose(request -> request.send()).compose(response -> {
      if (response.statusCode() != 200) {
        return Future.failedFuture("status " + response.statusCode());
      }
      Promise<ExpositionMerge.Source> read = Promise.promise();
      Buffer body = Buffer.buffer();
      response.handler(piece -> {
        if (body.length() + piece.length() > MAX_BYTES) {
          read.tryFail("more than " + MAX_BYTES + " bytes");
          response.request().reset();
        } else {
          body.appendBuffer(piece);
        }
      });
      response.exceptionHandler(read::tryFail);
      response.endHandler(end -> read.tryComplete(new ExpositionMerge.Source(server.model(), server.name(),
          body.toString(java.nio.charset.StandardCharsets.UTF_8))));
      return read.future();
    });
  }
}
