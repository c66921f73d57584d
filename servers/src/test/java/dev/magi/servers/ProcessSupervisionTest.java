package dev.magi.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.ports.PortPool;
import dev.magi.ports.PortProbe;
import dev.magi.registry.Catalog;
import dev.magi.registry.LaunchSettings;
import dev.magi.registry.ModelEntry;
import dev.magi.registry.ModelScanner;
import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaExecutable;
import dev.magi.testkit.FreePorts;
import dev.magi.testkit.GgufWriter;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Supervision of real child processes: the fake llama-server executable, started through the real
 * launcher (setpriv, pid file, output pump), probed over real sockets.
 */
class ProcessSupervisionTest {

  @TempDir
  Path dir;
  private Vertx vertx;
  private ProcessLauncher launcher;
  private final List<Long> pids = new ArrayList<>();
  private int base;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    if (launcher != null) {
      launcher.close();
    }
    Await.result(vertx.close());
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private ServerFleet fleet(String behaviour, PortProbe probe, Duration grace) throws Exception {
    GgufWriter.chatModel("tiny", 10).write(dir.resolve("models/tiny.gguf"));
    GgufWriter.embeddingModel("embed").write(dir.resolve("models/embed.gguf"));
    GgufWriter.rerankModel("rerank").write(dir.resolve("models/rerank.gguf"));
    List<ModelEntry> models = new ModelScanner(dir.resolve("models"), Map.of(), new LaunchSettings(512, 1, -1,
        List.of())).scan();
    Catalog catalog = new Catalog(models, java.time.Instant.now());
    Path wrapper = FakeLlamaExecutable.write(dir.resolve("bin"), behaviour);
    launcher = new ProcessLauncher("test-" + ProcessHandle.current().pid(), dir.resolve("data/children.pids"));
    base = FreePorts.range(4);
    SupervisorSettings settings = new SupervisorSettings(wrapper.toString(), Duration.ofSeconds(60), 2,
        Duration.ofSeconds(5), grace, dir.resolve("logs"), dir.resolve("data"));
    return new ServerFleet(vertx.getOrCreateContext(), () -> catalog, new PortPool(base, base + 3, probe,
        Clock.systemUTC()), launcher, new HttpHealthProbe(vertx.createHttpClient()), new VertxScheduler(vertx),
        Clock.systemUTC(), settings, ServerEvents.NONE);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  @Test
  void startsServesAndStopsARealProcess() throws Exception {
    ServerFleet fleet = fleet("load_ms=300", PortProbe.BIND, Duration.ofSeconds(5));

    ServerInfo ready = Await.result(fleet.ensureReady("tiny"));
    pids.add(ready.pid());

    assertEquals(ServerState.READY, ready.state());
    HttpResponse<String> chat = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ready.url()
        + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\","
        + "\"content\":\"Hi\"}],\"max_tokens\":2}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, chat.statusCode());
    assertTrue(chat.body().contains("\"model\":\"tiny\""), "--alias makes the server report the model id");
    List<String> logs = Await.result(fleet.logs("tiny", 50));
    assertTrue(logs.get(0).startsWith("fake llama-server argv: -m "), logs.toString());
    assertTrue(logs.get(0).contains("--alias tiny -c 512 -np 1"), logs.get(0));
    assertTrue(Files.readString(dir.resolve("logs/tiny-" + ready.port() + ".log")).contains("starting the main loop"));
    assertTrue(Files.readString(dir.resolve("data/children.pids")).contains(Long.toString(ready.pid())));

    ServerInfo stopped = Await.result(fleet.stop("tiny"));

    assertEquals(ServerState.STOPPED, stopped.state());
    assertFalse(alive(ready.pid()));
    assertTrue(PortProbe.BIND.isFree(ready.port()), "the port is free again");
    await(() -> {
      try {
        return !Files.readString(dir.resolve("data/children.pids")).contains(Long.toString(ready.pid()));
      } catch (IOException e) {
        return true;
      }
    }, "pid file updated");
  }

  @Test
  void embeddingModelsStartWithEmbeddingsAndPooling() throws Exception {
    ServerFleet fleet = fleet("", PortProbe.BIND, Duration.ofSeconds(5));

    ServerInfo ready = Await.result(fleet.ensureReady("embed"));
    pids.add(ready.pid());

    assertTrue(Await.result(fleet.logs("embed", 5)).get(0).endsWith("--embeddings --pooling mean"));
  }

  @Test
  void rerankModelsStartWithReranking() throws Exception {
    ServerFleet fleet = fleet("", PortProbe.BIND, Duration.ofSeconds(5));

    ServerInfo ready = Await.result(fleet.ensureReady("rerank"));
    pids.add(ready.pid());

    assertTrue(Await.result(fleet.logs("rerank", 5)).get(0).endsWith("--metrics --reranking"),
        Await.result(fleet.logs("rerank", 5)).get(0));
  }

  @Test
  void exitDuringLoadReportsTheChildsOwnWords() throws Exception {
    ServerFleet fleet = fleet("load_ms=200,exit_during_load=3", PortProbe.BIND, Duration.ofSeconds(5));

    ServerException error = (ServerException) Await.failure(fleet.ensureReady("tiny"));

    assertTrue(error.getMessage().contains("exited with code 3 while loading"), error.getMessage());
    assertTrue(error.getMessage().contains("tensor data is not within the file bounds"), error.getMessage());
    assertEquals(ServerState.FAILED, fleet.server("tiny").orElseThrow().state());
  }

  @Test
  void crashAfterReadyIsRestarted() throws Exception {
    ServerFleet fleet = fleet("crash_after_ms=300", PortProbe.BIND, Duration.ofSeconds(5));
    ServerInfo first = Await.result(fleet.ensureReady("tiny"));
    pids.add(first.pid());

    await(() -> fleet.server("tiny").orElseThrow().restarts() == 1
        && fleet.server("tiny").orElseThrow().state() == ServerState.READY, "restarted and ready");
    ServerInfo second = fleet.server("tiny").orElseThrow();
    pids.add(second.pid());

    assertFalse(alive(first.pid()));
    assertTrue(second.pid() != first.pid());
    assertTrue(second.lastError().contains("exited with code 1"), second.lastError());
    Await.result(fleet.stop("tiny"));
  }

  @Test
  void aChildThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
    ServerFleet fleet = fleet("ignore_sigterm", PortProbe.BIND, Duration.ofMillis(500));
    ServerInfo ready = Await.result(fleet.ensureReady("tiny"));
    pids.add(ready.pid());

    Await.result(fleet.stop("tiny"));

    assertFalse(alive(ready.pid()));
    List<String> logs = Await.result(fleet.logs("tiny", 50));
    assertTrue(logs.contains("ignoring SIGTERM"), logs.toString());
  }

  @Test
  void aPortTakenWhenTheChildStartsIsSkipped() throws Exception {
    // The probe is fooled (it says every port is free), so only the child finds out.
    ServerFleet fleet = fleet("", port -> true, Duration.ofSeconds(5));
    try (ServerSocket taken = new ServerSocket(base, 1, InetAddress.getLoopbackAddress())) {
      ServerInfo ready = Await.result(fleet.ensureReady("tiny"));
      pids.add(ready.pid());

      assertEquals(ServerState.READY, ready.state());
      assertEquals(base + 1, ready.port(), "the taken port was skipped");
    }
  }

  @Test
  void strayChildrenOfAnEarlierMagiAreStopped() throws Exception {
    ServerFleet fleet = fleet("", PortProbe.BIND, Duration.ofSeconds(5));
    ServerInfo ready = Await.result(fleet.ensureReady("tiny"));
    pids.add(ready.pid());
    Path pidFile = dir.resolve("data/children.pids");
    Path copy = Files.copy(pidFile, dir.resolve("data/left-behind.pids"));

    assertEquals(0, StrayReaper.reap(copy, "someone-else", Duration.ofSeconds(5)), "other markers are not touched");
    assertTrue(alive(ready.pid()));
    Files.copy(pidFile, copy);
    assertEquals(1, StrayReaper.reap(copy, "test-" + ProcessHandle.current().pid(), Duration.ofSeconds(5)));
    await(() -> !alive(ready.pid()), "the stray is gone");
  }
}
