package dev.magi.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.ports.PortPool;
import dev.magi.registry.Catalog;
import dev.magi.registry.LaunchSettings;
import dev.magi.registry.ModelEntry;
import dev.magi.registry.ModelKind;
import dev.magi.testkit.Await;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The supervisor's decisions, with recording fakes for processes, health, time and waiting. */
class ServerFleetTest {

  private Vertx vertx;
  private final ManualClock clock = new ManualClock();
  private final ManualScheduler scheduler = new ManualScheduler();
  private final RecordingLauncher launcher = new RecordingLauncher();
  private final Set<Integer> healthy = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Set<Integer> loading = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final Promise<Void> drained = Promise.promise();
  private PortPool ports;
  private ServerFleet fleet;
  private io.vertx.core.Context context;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    ports = new PortPool(9100, 9103, port -> true, clock);
    start(2);
  }

  private void start(int concurrentStarts) {
    Catalog catalog = new Catalog(List.of(model("tiny"), model("other"), invalid("broken")), Instant.EPOCH);
    HealthProbe probe = port -> healthy.contains(port) ? Future.succeededFuture(200)
        : loading.contains(port) ? Future.succeededFuture(503) : Future.failedFuture("connection refused");
    ServerEvents recorder = new ServerEvents() {
      @Override
      public void ready(ServerInfo server) {
        events.add("ready " + server.name() + " " + server.port());
      }

      @Override
      public Future<Void> leaving(ServerInfo server) {
        events.add("leaving " + server.name());
        return drained.future();
      }

      @Override
      public void gone(ServerInfo server) {
        events.add("gone " + server.name());
      }
    };
    SupervisorSettings settings = new SupervisorSettings("llama-server", Duration.ofSeconds(120), concurrentStarts,
        Duration.ofSeconds(30), Duration.ofSeconds(5), Path.of("target/logs"), Path.of("target/data"));
    context = vertx.getOrCreateContext();
    scheduler.context = context;
    fleet = new ServerFleet(context, () -> catalog, ports, launcher, probe, scheduler, clock,
        settings, recorder);
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  private static ModelEntry model(String id) {
    return new ModelEntry(id, List.of(id + "-alias"), Path.of("/models/" + id + ".gguf"), id + ".gguf", 1000, 1,
        Optional.empty(), ModelKind.CHAT, Optional.empty(), Optional.empty(), LaunchSettings.DEFAULTS, 1000);
  }

  private static ModelEntry invalid(String id) {
    return new ModelEntry(id, List.of(), Path.of("/models/" + id + ".gguf"), id + ".gguf", 10, 1, Optional.empty(),
        ModelKind.CHAT, Optional.empty(), Optional.of("not a GGUF file"), LaunchSettings.DEFAULTS, 10);
  }

  private ServerState state(String id) {
    return fleet.server(id).map(ServerInfo::state).orElse(ServerState.STOPPED);
  }

  /** Fires pending waits until {@code future} completes: some steps run on a worker, not the context. */
  private <T> T fireUntilDone(Future<T> future) throws InterruptedException {
    await(() -> {
      scheduler.fireAll();
      return future.isComplete();
    }, "completion");
    return Await.result(future);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(2);
    }
  }

  @Test
  void aStormOfRequestsStartsOneProcess() throws Exception {
    List<Future<ServerInfo>> calls = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      calls.add(fleet.ensureReady(i % 2 == 0 ? "tiny" : "tiny-alias"));
    }
    await(() -> launcher.children.size() == 1, "one spawn");
    loading.add(9100);
    scheduler.fireAll();
    healthy.add(9100);

    for (Future<ServerInfo> call : calls) {
      assertEquals(ServerState.READY, fireUntilDone(call).state());
    }
    assertEquals(1, launcher.children.size());
    assertEquals(List.of("ready tiny 9100"), events);
    List<String> command = launcher.commands.get(0);
    assertEquals(List.of("llama-server", "-m", "/models/tiny.gguf", "--host", "127.0.0.1", "--port", "9100",
        "--alias", "tiny", "-c", "8192", "-np", "2", "--metrics"), command);
  }

  @Test
  void exitDuringLoadFailsTheStartWithTheLastLogLines() throws Exception {
    Future<ServerInfo> start = fleet.ensureReady("tiny");
    await(() -> launcher.children.size() == 1, "spawn");
    FakeChild child = launcher.children.get(0);
    child.output.add("llama_model_load: error loading model: tensor data is not within the file bounds");
    child.exit(1);

    ServerException error = (ServerException) Await.failure(start);
    assertEquals(ServerException.Reason.EXITED_WHILE_LOADING, error.reason());
    assertTrue(error.getMessage().contains("exited with code 1 while loading"), error.getMessage());
    assertTrue(error.getMessage().contains("tensor data is not within the file bounds"));
    assertEquals(ServerState.FAILED, state("tiny"));
    assertEquals(List.of(), ports.leases(), "the port is released");
  }

  @Test
  void takenPortIsSetAsideAndTheNextOneTried() throws Exception {
    Future<ServerInfo> start = fleet.ensureReady("tiny");
    await(() -> launcher.children.size() == 1, "first spawn");
    launcher.children.get(0).output.add("start: couldn't bind HTTP server socket, hostname: 127.0.0.1, port: 9100");
    launcher.children.get(0).exit(1);
    await(() -> launcher.children.size() == 2, "second spawn");
    healthy.add(9101);

    assertEquals(9101, fireUntilDone(start).port());
    assertTrue(launcher.commands.get(1).contains("9101"));
  }

  @Test
  void crashAfterReadyRestartsWithBackoffAndFailsAfterFiveCrashes() throws Exception {
    healthy.addAll(Set.of(9100, 9101, 9102, 9103));
    Await.result(fleet.ensureReady("tiny"));

    for (int crash = 1; crash <= 4; crash++) {
      int spawned = launcher.children.size();
      launcher.children.get(spawned - 1).exit(139);
      await(() -> state("tiny") == ServerState.STARTING, "restart pending");
      scheduler.settle();
      assertEquals(Duration.ofSeconds(1L << (crash - 1)), scheduler.lastDelay(), "backoff after crash " + crash);
      scheduler.fireAll();
      await(() -> launcher.children.size() == spawned + 1, "respawn");
      scheduler.fireAll();
      await(() -> state("tiny") == ServerState.READY, "ready again");
      assertEquals(crash, fleet.server("tiny").orElseThrow().restarts());
      clock.advance(Duration.ofSeconds(10));
    }
    launcher.children.get(launcher.children.size() - 1).exit(139);

    await(() -> state("tiny") == ServerState.FAILED, "failed after five crashes");
    assertTrue(fleet.server("tiny").orElseThrow().lastError().startsWith("crashed 5 times within 10 minutes"));
    assertEquals(5, events.stream().filter(e -> e.equals("gone tiny")).count());

    // An admin starts it again: the failure is forgotten.
    int spawned = launcher.children.size();
    Future<ServerInfo> again = fleet.ensureReady("tiny");
    await(() -> launcher.children.size() == spawned + 1, "manual start");
    assertEquals(ServerState.READY, fireUntilDone(again).state());
  }

  @Test
  void crashesOutsideTheWindowAreForgotten() throws Exception {
    healthy.addAll(Set.of(9100, 9101, 9102, 9103));
    Await.result(fleet.ensureReady("tiny"));
    for (int crash = 1; crash <= 6; crash++) {
      int spawned = launcher.children.size();
      launcher.children.get(spawned - 1).exit(139);
      await(() -> state("tiny") == ServerState.STARTING, "restart pending");
      scheduler.settle();
      assertEquals(Duration.ofSeconds(1), scheduler.lastDelay(), "only one crash in the window");
      scheduler.fireAll();
      await(() -> launcher.children.size() == spawned + 1, "respawn");
      scheduler.fireAll();
      await(() -> state("tiny") == ServerState.READY, "ready again");
      clock.advance(Duration.ofMinutes(11));
    }
  }

  @Test
  void stopDrainsThenTerminatesThenKillsAndReleasesThePort() throws Exception {
    healthy.add(9100);
    Await.result(fleet.ensureReady("tiny"));
    FakeChild child = launcher.children.get(0);
    child.ignoresTerminate = true;

    Future<ServerInfo> stop = fleet.stop("tiny");
    await(() -> events.contains("leaving tiny"), "leaving event");
    assertEquals(ServerState.STOPPING, state("tiny"));
    assertEquals(0, child.terminations, "no signal while requests drain");
    drained.complete();
    await(() -> child.terminations == 1, "SIGTERM");
    scheduler.settle();
    assertTrue(scheduler.delays.contains(Duration.ofSeconds(5)), "a grace period before SIGKILL");
    scheduler.fireAll();

    assertEquals(ServerState.STOPPED, Await.result(stop).state());
    assertTrue(child.killed);
    assertEquals(List.of(), ports.leases());
  }

  @Test
  void stopWhileStartingEndsTheStartAndTheProcess() throws Exception {
    Future<ServerInfo> start = fleet.ensureReady("tiny");
    await(() -> launcher.children.size() == 1, "spawn");

    Await.result(fleet.stop("tiny"));

    assertEquals(ServerException.Reason.STOPPED, ((ServerException) Await.failure(start)).reason());
    assertEquals(1, launcher.children.get(0).terminations);
    assertEquals(ServerState.STOPPED, state("tiny"));
    assertEquals(List.of(), ports.leases());
  }

  @Test
  void startupTimeoutFailsAndKillsTheProcess() throws Exception {
    loading.add(9100);
    Future<ServerInfo> start = fleet.ensureReady("tiny");
    await(() -> launcher.children.size() == 1, "spawn");
    scheduler.fireAll();
    clock.advance(Duration.ofSeconds(121));
    scheduler.fireAll();

    ServerException error = (ServerException) Await.failure(start);
    assertEquals(ServerException.Reason.START_TIMEOUT, error.reason());
    await(() -> launcher.children.get(0).terminations == 1, "terminated");
  }

  @Test
  void unknownAndInvalidModelsAreRefused() {
    assertEquals(ServerException.Reason.MODEL_NOT_FOUND, ((ServerException) Await.failure(fleet.ensureReady("nope"))).reason());
    ServerException invalid = (ServerException) Await.failure(fleet.ensureReady("broken"));
    assertEquals(ServerException.Reason.MODEL_INVALID, invalid.reason());
    assertTrue(invalid.getMessage().endsWith("not a GGUF file"));
    assertTrue(launcher.commands.isEmpty());
  }

  @Test
  void startsBeyondTheLimitWaitTheirTurn() throws Exception {
    Await.result(vertx.close());
    vertx = Vertx.vertx();
    start(1);
    Future<ServerInfo> first = fleet.ensureReady("tiny");
    Future<ServerInfo> second = fleet.ensureReady("other");
    await(() -> launcher.children.size() == 1, "first spawn");
    scheduler.fireAll();
    assertEquals(1, launcher.children.size(), "the second waits while the first loads");

    healthy.add(9100);
    fireUntilDone(first);
    await(() -> launcher.children.size() == 2, "second spawn after the first is ready");
    healthy.add(9101);
    assertSame(ServerState.READY, fireUntilDone(second).state());
  }

  @Test
  void missingBinaryIsAClearFailure() {
    launcher.failNext = new ServerException(ServerException.Reason.BINARY_NOT_FOUND, "llama-server binary 'x' was not found");

    ServerException error = (ServerException) Await.failure(fleet.ensureReady("tiny"));

    assertEquals(ServerException.Reason.BINARY_NOT_FOUND, error.reason());
    assertEquals("llama-server binary 'x' was not found", fleet.server("tiny").orElseThrow().lastError());
    assertEquals(List.of(), ports.leases());
  }

  /** A child the test ends by hand. */
  static final class FakeChild implements Child {
    private static long nextPid = 4000;
    final long pid = nextPid++;
    final Promise<Integer> exit = Promise.promise();
    final List<String> output = new CopyOnWriteArrayList<>();
    volatile boolean ignoresTerminate;
    volatile int terminations;
    volatile boolean killed;

    void exit(int code) {
      exit.tryComplete(code);
    }

    @Override
    public long pid() {
      return pid;
    }

    @Override
    public Future<Integer> onExit() {
      return exit.future();
    }

    @Override
    public void terminate() {
      terminations++;
      if (!ignoresTerminate) {
        exit(143);
      }
    }

    @Override
    public void kill() {
      killed = true;
      exit(137);
    }

    @Override
    public List<String> logTail(int count) {
      return List.copyOf(output);
    }
  }

  /** Records every command and hands out fake children. */
  static final class RecordingLauncher implements ChildLauncher {
    final List<List<String>> commands = new CopyOnWriteArrayList<>();
    final List<FakeChild> children = new CopyOnWriteArrayList<>();
    volatile ServerException failNext;

    @Override
    public Future<Child> launch(List<String> command, java.util.Map<String, String> env, Path logFile) {
      if (failNext != null) {
        ServerException failure = failNext;
        failNext = null;
        return Future.failedFuture(failure);
      }
      commands.add(command);
      FakeChild child = new FakeChild();
      children.add(child);
      return Future.succeededFuture(child);
    }
  }

  /** Waits that end only when the test fires them. */
  static final class ManualScheduler implements Scheduler {
    io.vertx.core.Context context;
    final List<Duration> delays = new CopyOnWriteArrayList<>();
    private final List<Promise<Void>> pending = new CopyOnWriteArrayList<>();

    @Override
    public Future<Void> after(Duration delay) {
      delays.add(delay);
      Promise<Void> promise = Promise.promise();
      pending.add(promise);
      return promise.future();
    }

    Duration lastDelay() {
      return delays.stream().filter(d -> !d.equals(Duration.ofMillis(100))).reduce((a, b) -> b).orElse(null);
    }

    /** Ends every wait so far (waits started by their handlers stay pending). */
    void fireAll() {
      Set<Promise<Void>> fired = new HashSet<>(pending);
      pending.removeAll(fired);
      fired.forEach(Promise::tryComplete);
      settle();
    }

    /** Lets the fleet's context run what the fired waits set off: a few round trips through it. */
    void settle() {
      for (int i = 0; i < 8; i++) {
        Promise<Void> roundTrip = Promise.promise();
        context.runOnContext(v -> roundTrip.complete());
        Await.result(roundTrip.future());
      }
    }
  }

  /** A clock moved by hand. */
  static final class ManualClock extends Clock {
    private volatile Instant now = Instant.parse("2026-11-22T08:00:00Z");

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
