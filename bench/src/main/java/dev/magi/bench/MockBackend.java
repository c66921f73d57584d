package dev.magi.bench;

import dev.magi.gateway.DescriptorTable;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An OpenAI-style backend tuned never to be the bottleneck: canned bytes, one event loop. The knobs
 * travel in the model name, so they pass through any proxy: {@code mock-c16-d20} streams 16 chunks
 * 20 ms apart; without {@code "stream":true} it answers one small JSON body.
 *
 * <pre>java -cp ... dev.magi.bench.MockBackend PORT</pre>
 */
public final class MockBackend {

  /** The knobs in a request's model name: {@code mock-c<chunks>-d<delay ms>}. */
  static final Pattern KNOBS = Pattern.compile("\"model\"\\s*:\\s*\"mock-c(\\d+)-d(\\d+)\"");
  /** The body of a non-streamed answer. */
  static final String JSON_BODY = "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\","
      + "\"created\":1795332954,\"model\":\"mock\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
      + "\"content\":\"Hello from the mock backend.\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":"
      + "{\"prompt_tokens\":9,\"completion_tokens\":7,\"total_tokens\":16}}";
  /** One event of a stream. */
  static final String CHUNK_EVENT = "data: {\"id\":\"chatcmpl-bench\",\"object\":"
      + "\"chat.completion.chunk\",\"created\":1795332954,\"model\":\"mock\",\"choices\":[{\"index\":0,\"delta\":"
      + "{\"content\":\" token\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
  /** The last event of a stream, and its end. */
  static final String DONE_EVENTS = "data: {\"id\":\"chatcmpl-bench\",\"object\":"
      + "\"chat.completion.chunk\",\"created\":1795332954,\"model\":\"mock\",\"choices\":[{\"index\":0,\"delta\":"
      + "{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
  private static final Buffer JSON = Buffer.buffer(JSON_BODY);
  private static final Buffer CHUNK = Buffer.buffer(CHUNK_EVENT);
  private static final Buffer DONE = Buffer.buffer(DONE_EVENTS);

  private MockBackend() {
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    // As in LoadGen: so that the mock's first round does not pause at each doubling of its table.
    DescriptorTable.reserve(DescriptorTable.DEFAULT_RESERVE);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    vertx.createHttpServer(new HttpServerOptions().setPort(port).setHost("127.0.0.1").setTcpNoDelay(true)
            .setAcceptBacklog(20_000))
        .requestHandler(request -> request.body().onSuccess(body -> answer(vertx, request, body)))
        .listen()
        .onSuccess(server -> System.out.println("mock backend on 127.0.0.1:" + server.actualPort()))
        .onFailure(failure -> {
          System.err.println("mock backend: " + failure.getMessage());
          System.exit(1);
        });
  }

  private static void answer(Vertx vertx, HttpServerRequest request, Buffer body) {
    HttpServerResponse response = request.response();
    if (request.path().equals("/bench/gc")) {
      // Called by the load generator between its warmup and its measurement, so that no collection
      // of this harness process lands inside a measured phase by chance.
      System.gc();
      response.end();
      return;
    }
    if (request.path().equals("/health") || request.path().equals("/v1/models")) {
      response.putHeader("Content-Type", "application/json").end("{\"status\":\"ok\",\"data\":[]}");
      return;
    }
    String text = body.toString();
    if (!text.contains("\"stream\":true")) {
      response.putHeader("Content-Type", "application/json").end(JSON);
      return;
    }
    Matcher knobs = KNOBS.matcher(text);
    int chunks = knobs.find() ? Integer.parseInt(knobs.group(1)) : 16;
    long delay = knobs.find(0) ? Long.parseLong(knobs.group(2)) : 0;
    response.putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache").setChunked(true);
    if (delay == 0) {
      // One HTTP chunk per event, as llama-server writes them; written inside the read of the request,
      // so Vert.x flushes them together and they reach the proxy as one burst.
      for (int i = 0; i < chunks; i++) {
        response.write(CHUNK);
      }
      response.end(DONE);
      return;
    }
    new Object() {
      int sent;

      void next() {
        if (response.closed()) {
          return;
        }
        if (sent == chunks) {
          response.end(DONE);
          return;
        }
        sent++;
        response.write(CHUNK);
        vertx.setTimer(delay, id -> next());
      }
    }.next();
  }
}
