package dev.magi.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackendDirectoryTest {

  private static final Endpoint A = Endpoint.of(BackendType.LLAMA_SERVER, "http://127.0.0.1:1", null);
  private static final Endpoint B = Endpoint.of(BackendType.LLAMA_SERVER, "http://127.0.0.1:2", null);
  private static final Endpoint OLLAMA = Endpoint.of(BackendType.OLLAMA, "http://127.0.0.1:11434", null);

  private static ModelDeclaration model(String id, Endpoint endpoint, String... aliases) {
    return new ModelDeclaration(id, List.of(aliases), endpoint, id, Instant.EPOCH);
  }

  @Test
  void sameModelFromTwoSourcesBecomesOnePoolOfReplicas() {
    BackendDirectory directory = new BackendDirectory(LoadBalancer.LEAST_OUTSTANDING);
    directory.replace("config", List.of(model("tiny", A, "tiny-chat")));
    directory.replace("other", List.of(model("tiny", B)));

    BackendPool pool = directory.routes().resolve("tiny-chat").orElseThrow();
    assertEquals("tiny", pool.modelId());
    assertEquals(2, pool.backends().size());
    assertEquals(List.of(A, B), directory.endpoints());
  }

  @Test
  void replacingASourceKeepsBackendsThatStayAndTheirInFlightCounts() {
    BackendDirectory directory = new BackendDirectory(LoadBalancer.LEAST_OUTSTANDING);
    directory.replace("ollama", List.of(model("llama3.2:latest", OLLAMA)));
    Backend before = directory.routes().resolve("llama3.2").orElseThrow().backends().get(0);
    Backend.Lease lease = before.begin();

    directory.replace("ollama", List.of(model("llama3.2:latest", OLLAMA), model("qwen:0.5b", OLLAMA)));

    Backend after = directory.routes().resolve("llama3.2:latest").orElseThrow().backends().get(0);
    assertSame(before, after);
    assertEquals(1, after.inFlight());
    lease.release();
    lease.release();
    assertEquals(0, after.inFlight(), "a lease is released once, however often it is called");
    assertTrue(directory.routes().resolve("qwen:0.5b").isPresent());
  }

  @Test
  void removedModelsDisappear() {
    BackendDirectory directory = new BackendDirectory(LoadBalancer.LEAST_OUTSTANDING);
    directory.replace("ollama", List.of(model("a:latest", OLLAMA)));
    directory.replace("ollama", List.of());

    assertTrue(directory.routes().resolve("a").isEmpty());
    assertTrue(directory.routes().pools().isEmpty());
  }

  @Test
  void nameWithoutTagFindsTheLatestTagButNotOthers() {
    RouteTable routes = new RouteTable(List.of(new BackendPool("llama3.2:latest", List.of(), Instant.EPOCH,
        List.of(new Backend(OLLAMA, "llama3.2:latest", "llama3.2:latest")), LoadBalancer.LEAST_OUTSTANDING)));

    assertTrue(routes.resolve("llama3.2").isPresent());
    assertTrue(routes.resolve("llama3.2:1b").isEmpty());
    assertTrue(routes.resolve("llama3").isEmpty());
  }

  @Test
  void leastOutstandingPicksTheIdlestAndPoolPrefersHealthyEndpoints() {
    Endpoint c = Endpoint.of(BackendType.LLAMA_SERVER, "http://127.0.0.1:3", null);
    Backend busy = new Backend(A, "m", "m");
    Backend idle = new Backend(B, "m", "m");
    Backend down = new Backend(c, "m", "m");
    busy.begin();
    c.recordHealth(Health.UNHEALTHY, "refused");
    BackendPool pool = new BackendPool("m", List.of(), Instant.EPOCH, List.of(busy, idle, down),
        LoadBalancer.LEAST_OUTSTANDING);

    assertSame(idle, pool.select(Set.of()).orElseThrow());
    assertSame(busy, pool.select(Set.of(idle)).orElseThrow(), "a healthy busy one beats an unhealthy idle one");
    assertSame(down, pool.select(Set.of(idle, busy)).orElseThrow(), "the unhealthy one is still a last resort");
    assertTrue(pool.select(Set.of(idle, busy, down)).isEmpty());
  }

  @Test
  void endpointUrlsAreCheckedAndNormalised() {
    Endpoint endpoint = Endpoint.of(BackendType.OPENAI, "https://api.example.test/v1/", "k");

    assertEquals(443, endpoint.port());
    assertTrue(endpoint.ssl());
    assertEquals("", endpoint.basePath());
    assertEquals("/proxy", Endpoint.of(BackendType.OPENAI, "http://h:1/proxy/v1", null).basePath());
    assertThrows(IllegalArgumentException.class, () -> Endpoint.of(BackendType.OPENAI, "file:///etc/passwd", null));
    assertThrows(IllegalArgumentException.class, () -> Endpoint.of(BackendType.OPENAI, "http:///nohost", null));
    assertThrows(IllegalArgumentException.class, () -> Endpoint.of(BackendType.OPENAI, "http://u:p@h:1", null));
  }

  @Test
  void requestsWaitForAModelExpectedBackAndFailWhenItIsNot() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      BackendDirectory directory = new BackendDirectory(model -> LoadBalancer.LEAST_OUTSTANDING,
          new AdmissionQueue.Limits(8, java.time.Duration.ofSeconds(30)));
      directory.replace("server:m", List.of(model("m", A)));
      BackendPool before = directory.routes().resolve("m").orElseThrow();
      directory.replaceExpectingBack("server:m", List.of(), "m");
      assertTrue(directory.routes().resolve("m").isEmpty(), "no backend to route new requests to");

      java.util.concurrent.CompletableFuture<Backend> granted = new java.util.concurrent.CompletableFuture<>();
      vertx.runOnContext(v -> before.queue().acquire(List.of(), vertx).future()
          .onComplete(lease -> granted.complete(lease.succeeded() ? lease.result().backend() : null)));
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (before.queue().waiting() == 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(1, before.queue().waiting(), "the request waits rather than failing");
      assertTrue(!granted.isDone());
      directory.replace("server:m", List.of(model("m", B)));
      assertEquals(B, granted.get(10, java.util.concurrent.TimeUnit.SECONDS).endpoint(), "served by the new server");

      directory.replaceExpectingBack("server:m", List.of(), "m");
      java.util.concurrent.CompletableFuture<Throwable> failed = new java.util.concurrent.CompletableFuture<>();
      vertx.runOnContext(v -> before.queue().acquire(List.of(), vertx).future()
          .onComplete(lease -> failed.complete(lease.cause())));
      directory.notExpectedBack("m");
      AdmissionException refused = (AdmissionException) failed.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(AdmissionException.Reason.NO_BACKEND, refused.reason());
    } finally {
      vertx.close().await();
    }
  }
}
