package dev.magi.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.Await;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy's own HTTP client, against a real HTTP server on a real socket. */
class UpstreamClientTest {

  private static final String PASSWORD = "changeit";

  private final Vertx backendVertx = Vertx.vertx();
  private final Vertx clientVertx = Vertx.vertx();
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Promise<Void>> closedConnections = new CopyOnWriteArrayList<>();
  private Handler<HttpServerRequest> answer;
  /** The body of the request the backend last received. */
  private volatile Buffer lastBody;
  private HttpServer backend;
  private Context context;
  private UpstreamClient client;

  @BeforeEach
  void start() throws Exception {
    backend = Await.result(backendVertx.createHttpServer()
        .connectionHandler(connection -> {
          connections.incrementAndGet();
          Promise<Void> closed = Promise.promise();
          closedConnections.add(closed);
          connection.closeHandler(ignored -> closed.tryComplete());
        })
        .requestHandler(request -> request.body().onSuccess(body -> {
          lastBody = body;
          answer.handle(request);
        }))
        .listen(0, "127.0.0.1"));
    context = clientVertx.getOrCreateContext();
    client = onContext(() -> new UpstreamClient(clientVertx, Duration.ofSeconds(5), Duration.ofSeconds(3)));
  }

  @AfterEach
  void stop() {
    Await.result(clientVertx.close());
    Await.result(backendVertx.close());
  }

  @Test
  void aKeepAliveConnectionCarriesTheNextRequest() throws Exception {
    answer = request -> request.response().end("ok " + request.getHeader("Host"));

    assertEquals("ok 127.0.0.1:" + backend.actualPort(), bodyOf(onContext(() -> post(0))));
    assertEquals("ok 127.0.0.1:" + backend.actualPort(), bodyOf(onContext(() -> post(0))));
    assertEquals(1, connections.get());
  }

  @Test
  void aBodyReadWholeComesWithItsEndToTheLastHandler() throws Exception {
    answer = request -> request.response().end("all of it");

    List<String> events = eventsOf(onContext(() -> post(0)));

    // One read holds the head and the whole body unless the machine is busy enough to split them;
    // then the pieces and an end are the right answer too.
    if (events.size() == 1) {
      assertEquals(List.of("last:all of it"), events);
    } else {
      assertEquals("end", events.get(events.size() - 1));
      assertEquals("all of it", String.join("", events.subList(0, events.size() - 1)).replace("piece:", ""));
    }
  }

  @Test
  void theRequestHeadCarriesTheGivenHeadersTheHostAndTheBodyLength() throws Exception {
    answer = request -> request.response().end(request.method() + " " + request.uri() + " " + request.version() + "|"
        + request.getHeader("Host") + "|" + request.getHeader("Content-Type") + "|" + request.getHeader("X-Request-Id")
        + "|" + request.getHeader("Content-Length") + "|" + lastBody);

    UpstreamHeaders headers = new UpstreamHeaders().add("Content-Type", "application/json").add("X-Request-Id", "req_1");
    String echoed = bodyOf(onContext(() -> client.post(new UpstreamClient.Origin("127.0.0.1", backend.actualPort(),
        false), "/v1/chat/completions", headers, Buffer.buffer("{\"model\":\"m\"}"), 0)));

    assertEquals("POST /v1/chat/completions HTTP_1_1|127.0.0.1:" + backend.actualPort()
        + "|application/json|req_1|13|{\"model\":\"m\"}", echoed);
  }

  @Test
  void aHeaderThatCouldEndTheHeadEarlyIsRefused() {
    UpstreamHeaders headers = new UpstreamHeaders();
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> headers.add("X-Request-Id", "a\r\nX-Injected: 1"));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> headers.add("Bad Name", "v"));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> headers.add("X-Key", "caf\u00e9"));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> client.post(
        new UpstreamClient.Origin("127.0.0.1", backend.actualPort(), false), "/a b", headers, Buffer.buffer("{}"), 0));
  }

  @Test
  void aChunkedBodyComesAsPiecesAndAnEnd() throws Exception {
    answer = request -> request.response().setChunked(true).write("one,")
        .compose(written -> request.response().end("two"));

    List<String> events = eventsOf(onContext(() -> post(0)));

    assertEquals("end", events.get(events.size() - 1));
    assertEquals("one,two", String.join("", events.subList(0, events.size() - 1)).replace("piece:", ""));
  }

  @Test
  void anAnswerThatClosesItsConnectionIsNotReused() throws Exception {
    answer = request -> request.response().putHeader("Connection", "close").end("bye");

    assertEquals("bye", bodyOf(onContext(() -> post(0))));
    assertEquals("bye", bodyOf(onContext(() -> post(0))));
    assertEquals(2, connections.get());
  }

  @Test
  void aPooledConnectionLostBeforeTheAnswerIsRetriedOnANewOne() throws Exception {
    java.util.Set<Object> answeredOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
    // Each connection answers its first request and drops the second unanswered, as a backend does
    // that closes an idle keep-alive connection just as the next request arrives.
    answer = request -> {
      if (answeredOn.add(request.connection())) {
        request.response().end("ok");
      } else {
        request.connection().close();
      }
    };

    assertEquals("ok", bodyOf(onContext(() -> post(0))));
    assertEquals("ok", bodyOf(onContext(() -> post(0))));
    assertEquals(2, connections.get());
  }

  @Test
  void aRequestIsSentAgainAtMostOnce() throws Exception {
    AtomicInteger requests = answerFirstThen(request -> request.connection().close());

    assertEquals("ok", bodyOf(onContext(() -> post(0))));
    // Lost on the pooled connection, sent again, lost on the new one: then it fails.
    assertInstanceOf(java.io.IOException.class, failureOf(onContext(() -> post(0))));
    assertEquals(2, connections.get());
    assertEquals(3, requests.get());
  }

  @Test
  void aNewConnectionLostBeforeTheAnswerIsNotRetried() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    answer = request -> {
      requests.incrementAndGet();
      request.connection().close();
    };

    assertInstanceOf(java.io.IOException.class, failureOf(onContext(() -> post(0))));
    assertEquals(1, requests.get());
  }

  @Test
  void anAnswerCutAfterItBeganIsNotRetried() throws Exception {
    AtomicInteger requests = answerFirstThen(request -> request.response().setChunked(true).write("partial")
        .onComplete(written -> request.connection().close()));

    assertEquals("ok", bodyOf(onContext(() -> post(0))));
    UpstreamCall call = onContext(() -> post(0));
    // Handlers set after the backend has gone: the piece and the failure must have waited for them.
    Await.result(closedConnections.get(0).future());
    ExecutionException cut = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> bodyOf(call));
    assertInstanceOf(java.io.IOException.class, cut.getCause());
    assertEquals(2, requests.get());
    assertEquals(1, connections.get());
  }

  @Test
  void aPausedCallHoldsItsPiecesAndDeliversThemInOrderOnResume() throws Exception {
    CompletableFuture<Void> backendDone = new CompletableFuture<>();
    answer = request -> {
      request.response().setChunked(true);
      request.response().write("a");
      request.response().write("b");
      request.response().end("c").onComplete(ignored -> backendDone.complete(null));
    };
    List<String> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<List<String>> ended = new CompletableFuture<>();
    UpstreamCall call = onContext(() -> {
      UpstreamCall posted = post(0);
      posted.response().onSuccess(head -> {
        head.pause();
        head.handler(piece -> seen.add(piece.toString()));
        head.endHandler(ignored -> ended.complete(List.copyOf(seen)));
      });
      return posted;
    });
    backendDone.get(10, TimeUnit.SECONDS);
    // Give the pieces time to cross the socket, then look: nothing may have been delivered yet.
    CompletableFuture<List<String>> seenWhilePaused = new CompletableFuture<>();
    context.runOnContext(ignored -> clientVertx.setTimer(200, timer -> {
      seenWhilePaused.complete(List.copyOf(seen));
      call.resume();
    }));

    assertEquals(List.of(), seenWhilePaused.get(10, TimeUnit.SECONDS));
    assertEquals("abc", String.join("", ended.get(10, TimeUnit.SECONDS)));
  }

  @Test
  void aResetBeforeTheAnswerFailsTheCallAndClosesItsConnection() throws Exception {
    CompletableFuture<Void> arrived = new CompletableFuture<>();
    answer = request -> arrived.complete(null);
    UpstreamCall call = onContext(() -> post(0));
    arrived.get(10, TimeUnit.SECONDS);

    context.runOnContext(ignored -> call.reset());

    Throwable failure = failureOf(call);
    assertTrue(failure.getMessage().contains("reset"), failure.getMessage());
    Await.result(closedConnections.get(0).future());
  }

  @Test
  void aBackendSilentForTheIdleTimeoutFailsTheCall() throws Exception {
    answer = request -> {
    };

    assertInstanceOf(TimeoutException.class, failureOf(onContext(() -> post(200))));
    Await.result(closedConnections.get(0).future());
  }

  @Test
  void aRefusedConnectionFailsWithConnectException() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    int port = closedPort;
    UpstreamCall call = onContext(() -> client.post(new UpstreamClient.Origin("127.0.0.1", port, false), "/",
        new UpstreamHeaders(), Buffer.buffer("{}"), 0));

    assertInstanceOf(ConnectException.class, failureOf(call));
  }

  @Test
  void aTlsOriginSpeaksTlsAndRefusesAPlainHttpServer() throws Exception {
    answer = request -> request.response().end("plain");
    UpstreamCall call = onContext(() -> client.post(new UpstreamClient.Origin("127.0.0.1", backend.actualPort(), true),
        "/", new UpstreamHeaders(), Buffer.buffer("{}"), 0));

    // Over plain HTTP this call would succeed; the TLS handshake must fail it instead.
    Throwable failure = failureOf(call);
    assertTrue(causes(failure).stream().anyMatch(javax.net.ssl.SSLException.class::isInstance),
        "not a TLS failure: " + failure);
  }

  @Test
  void aTlsBackendWithATrustedCertificateForItsAddressAnswers(@TempDir Path dir) throws Exception {
    Path keys = certificate(dir, "backend", "SAN=ip:127.0.0.1");

    UpstreamCall call = postOverTls(keys);

    assertEquals("secret", bodyOf(call));
  }

  @Test
  void aTlsBackendWhoseCertificateNamesAnotherHostIsRefused(@TempDir Path dir) throws Exception {
    Path keys = certificate(dir, "elsewhere", "SAN=dns:elsewhere.example");

    UpstreamCall call = postOverTls(keys);

    // Trusted, but issued for another name: the host-name check must refuse it.
    assertTrue(causes(failureOf(call)).stream()
        .anyMatch(java.security.cert.CertificateException.class::isInstance));
  }

  @Test
  void anIdleConnectionIsClosedAfterTheKeepAlive() throws Exception {
    client = onContext(() -> new UpstreamClient(clientVertx, Duration.ofSeconds(5), Duration.ofMillis(200)));
    answer = request -> request.response().end("ok");

    assertEquals("ok", bodyOf(onContext(() -> post(0))));

    Await.result(closedConnections.get(0).future());
  }

  /** Answers the first request "ok" and hands every later one to {@code later}; counts them all. */
  private AtomicInteger answerFirstThen(Handler<HttpServerRequest> later) {
    AtomicInteger requests = new AtomicInteger();
    answer = request -> {
      if (requests.incrementAndGet() == 1) {
        request.response().end("ok");
      } else {
        later.handle(request);
      }
    };
    return requests;
  }

  /** A self-signed key pair made by the JDK's keytool, run as a child process, in a PKCS12 file. */
  private static Path certificate(Path dir, String name, String subjectAlternativeName) throws Exception {
    Path keys = dir.resolve(name + ".p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", name, "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", "CN=" + name, "-ext", subjectAlternativeName, "-validity", "2",
        "-storetype", "PKCS12", "-keystore", keys.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "keytool did not finish");
    assertEquals(0, process.exitValue(), output);
    return keys;
  }

  /**
   * Starts a TLS server with the key pair in {@code keys}, and posts to it from a client that trusts
   * that certificate.
   */
  private UpstreamCall postOverTls(Path keys) throws Exception {
    HttpServer tlsBackend = Await.result(backendVertx.createHttpServer(new io.vertx.core.http.HttpServerOptions()
            .setSsl(true)
            .setKeyCertOptions(new io.vertx.core.net.PfxOptions().setPath(keys.toString()).setPassword(PASSWORD)))
        .requestHandler(request -> request.body().onSuccess(ignored -> request.response().end("secret")))
        .listen(0, "127.0.0.1"));
    javax.net.ssl.TrustManagerFactory trust = trusting(keys);
    client = onContext(() -> new UpstreamClient(clientVertx, Duration.ofSeconds(5), Duration.ofSeconds(3), trust));
    return onContext(() -> client.post(new UpstreamClient.Origin("127.0.0.1", tlsBackend.actualPort(), true), "/",
        new UpstreamHeaders(), Buffer.buffer("{}"), 0));
  }

  private static javax.net.ssl.TrustManagerFactory trusting(Path keys) throws Exception {
    java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(keys)) {
      store.load(in, PASSWORD.toCharArray());
    }
    javax.net.ssl.TrustManagerFactory factory =
        javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return factory;
  }

  private static List<Throwable> causes(Throwable failure) {
    List<Throwable> chain = new java.util.ArrayList<>();
    for (Throwable cause = failure; cause != null && !chain.contains(cause); cause = cause.getCause()) {
      chain.add(cause);
    }
    return chain;
  }

  private UpstreamCall post(long idleTimeoutMillis) {
    UpstreamHeaders headers = new UpstreamHeaders().add("Content-Type", "application/json");
    return client.post(new UpstreamClient.Origin("127.0.0.1", backend.actualPort(), false), "/v1/chat/completions",
        headers, Buffer.buffer("{\"model\":\"m\"}"), idleTimeoutMillis);
  }

  private String bodyOf(UpstreamCall call) throws Exception {
    CompletableFuture<String> body = new CompletableFuture<>();
    context.runOnContext(ignored -> call.response().onComplete(head -> {
      if (head.failed()) {
        body.completeExceptionally(head.cause());
        return;
      }
      Buffer all = Buffer.buffer();
      head.result().handler(all::appendBuffer);
      head.result().exceptionHandler(body::completeExceptionally);
      head.result().endHandler(ignored2 -> body.complete(all.toString()));
    }));
    return body.get(10, TimeUnit.SECONDS);
  }

  /** What the call's handlers saw, in order: {@code piece:...}, {@code end}, {@code last:...}. */
  private List<String> eventsOf(UpstreamCall call) throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    CompletableFuture<List<String>> done = new CompletableFuture<>();
    context.runOnContext(ignored -> call.response().onComplete(head -> {
      if (head.failed()) {
        done.completeExceptionally(head.cause());
        return;
      }
      head.result().handler(piece -> events.add("piece:" + piece));
      head.result().exceptionHandler(done::completeExceptionally);
      head.result().endHandler(ignored2 -> {
        events.add("end");
        done.complete(events);
      });
      head.result().lastHandler(piece -> {
        events.add("last:" + piece);
        done.complete(events);
      });
    }));
    return done.get(10, TimeUnit.SECONDS);
  }

  private Throwable failureOf(UpstreamCall call) throws Exception {
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    context.runOnContext(ignored -> call.response().onComplete(head -> failure.complete(head.cause())));
    Throwable cause = failure.get(10, TimeUnit.SECONDS);
    assertTrue(cause != null, "the call should have failed");
    return cause;
  }

  /** Runs {@code action} on the client's context, as the proxy does, and returns what it returned. */
  private <T> T onContext(java.util.function.Supplier<T> action) throws InterruptedException, ExecutionException {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(ignored -> {
      try {
        result.complete(action.get());
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    try {
      return result.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the context did not run the action", e);
    }
  }
}
