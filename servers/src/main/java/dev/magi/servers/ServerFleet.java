package dev.magi.servers;

import dev.magi.ports.NoPortAvailableException;
import dev.magi.ports.PortLease;
import dev.magi.ports.PortPool;
import dev.magi.registry.Catalog;
import dev.magi.registry.ModelEntry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The one owner of every local model server. All state lives on one Vert.x context and changes only
 * there; callers on other threads get futures. "Start, or join the start already under way" is a
 * single call ({@link #ensureReady}), so a storm of requests never spawns two processes for a model.
 *
 * <p>Lifecycle of one server:
 * <ul>
 *   <li>start: lease a port, spawn, poll {@code /health} until 200 (503 means loading) within the
 *       startup timeout. An exit during load fails the start at once with the last log lines; an exit
 *       because the port was taken sets the port aside and tries the next one (three attempts).</li>
 *   <li>crash after ready: out of the pool at once, restart after 1, 2, 4 ... 60 s; the fifth crash
 *       within ten minutes leaves it {@code failed} until an admin starts it again.</li>
 *   <li>stop: out of the pool, requests in flight drain (bounded), SIGTERM, SIGKILL after the grace
 *       time, port released.</li>
 * </ul>
 */
public final class ServerFleet {

  private static final Logger LOG = Logger.getLogger(ServerFleet.class.getName());
  private static final Duration POLL = Duration.ofMillis(100);
  private static final int PORT_ATTEMPTS = 3;
  private static final int ERROR_LOG_LINES = 20;

  private final Context context;
  private final Supplier<Catalog> catalog;
  private final PortPool ports;
  private final ChildLauncher launcher;
  private final HealthProbe probe;
  private final Scheduler scheduler;
  private final Clock clock;
  private final SupervisorSettings settings;
  private final ServerEvents events;
  private final Map<String, ModelServer> servers = new LinkedHashMap<>();
  private final Deque<Promise<Void>> waitingToStart = new ArrayDeque<>();
  private int startsUnderWay;
  private volatile List<ServerInfo> snapshot = List.of();

  /**
   * @param context the one context on which all server state changes
   * @param catalog where models are looked up, asked at every start
   */
  public ServerFleet(Context context, Supplier<Catalog> catalog, PortPool ports, ChildLauncher launcher,
      HealthProbe probe, Scheduler scheduler, Clock clock, SupervisorSettings settings, ServerEvents events) {
    this.context = context;
    this.catalog = catalog;
    this.ports = ports;
    this.launcher = launcher;
    this.probe = probe;
    this.scheduler = scheduler;
    this.clock = clock;
    this.settings = settings;
    this.events = events;
  }

  /** Every server that was ever started, in start order; safe to call from any thread. */
  public List<ServerInfo> servers() {
    return snapshot;
  }

  /** The server of model {@code id}, if one was ever started. */
  public Optional<ServerInfo> server(String id) {
    return snapshot.stream().filter(s -> s.name().equals(id)).findFirst();
  }

  /**
   * Makes the model's server ready: starts it, or joins the start under way, or waits for a stop
   * under way and starts it again.
   *
   * @param name a model id or alias from the catalogue
   * @return the ready server, or a failed future with a {@link ServerException}
   */
  public Future<ServerInfo> ensureReady(String name) {
    return onContext(() -> {
      ModelEntry entry = catalog.get().find(name).orElse(null);
      if (entry == null) {
        return Future.failedFuture(new ServerException(ServerException.Reason.MODEL_NOT_FOUND,
            "No model '" + name + "' in the registry."));
      }
      return ensureReadyHere(new ServerSpec(entry.id(), entry));
    });
  }

  /**
   * Makes one server instance ready, with exactly the launch settings of {@code spec} when it has to
   * start it. A ready instance is returned as it is, whatever its settings: replacing it is the
   * caller's decision (stop it first).
   *
   * @return the ready server, or a failed future with a {@link ServerException}
   */
  public Future<ServerInfo> ensureReady(ServerSpec spec) {
    return onContext(() -> ensureReadyHere(spec));
  }

  private Future<ServerInfo> ensureReadyHere(ServerSpec spec) {
    ModelEntry entry = spec.model();
    if (!entry.valid()) {
      return Future.failedFuture(new ServerException(ServerException.Reason.MODEL_INVALID,
          "Model '" + entry.id() + "' cannot be served: " + entry.invalidReason().orElse("")));
    }
    ModelServer server = servers.computeIfAbsent(spec.instance(), instance -> new ModelServer(instance, entry));
    return switch (server.state) {
      case READY -> Future.succeededFuture(server.info());
      case STARTING -> server.starting.future();
      case STOPPING -> server.stopping.compose(v -> ensureReady(spec));
      case STOPPED, FAILED -> start(server, entry);
    };
  }

  /**
   * Stops the model's server: out of the pool, drain, SIGTERM, SIGKILL after the grace time.
   * Stopping a server that is not running succeeds at once.
   *
   * @return the stopped server's last state; a failed future when the model is unknown
   */
  public Future<ServerInfo> stop(String name) {
    return onContext(() -> existing(name).compose(server -> stop(server).map(v -> server.info())));
  }

  /** Stops every server, all at once. */
  public Future<Void> stopAll() {
    return onContext(() -> {
      List<Future<Void>> stops = new ArrayList<>();
      servers.values().forEach(server -> stops.add(stop(server)));
      return Future.join(stops).mapEmpty();
    });
  }

  /** The last {@code lines} lines printed by the model's current (or last) process. */
  public Future<List<String>> logs(String name, int lines) {
    return onContext(() -> existing(name).map(server ->
        server.child == null ? server.lastLog : server.child.logTail(lines)));
  }

  /**
   * The lines the running server {@code name} (an instance, or a model's first) printed after line
   * {@code seq}, at most {@code max}; nothing when it is not running.
   */
  public Future<LogRing.Lines> logSince(String name, long seq, int max) {
    return onContext(() -> existing(name).map(server -> server.child == null
        ? new LogRing.Lines(seq, List.of(), false) : server.child.logSince(seq, max)));
  }

  /**
   * The server instance called {@code name}, or the first instance of the model called {@code name}
   * (id or alias); a 404 when none was ever started.
   */
  private Future<ModelServer> existing(String name) {
    ModelServer server = servers.get(name);
    if (server == null) {
      String id = catalog.get().find(name).map(ModelEntry::id).orElse(name);
      server = servers.get(id);
    }
    ModelServer found = server;
    return found != null ? Future.succeededFuture(found) : Future.failedFuture(new ServerException(
        ServerException.Reason.SERVER_NOT_FOUND, "No server of model '" + name + "' was started."));
  }

  private Future<ServerInfo> start(ModelServer server, ModelEntry entry) {
    server.entry = entry;
    server.state = ServerState.STARTING;
    server.lastError = "";
    server.starting = Promise.promise();
    Promise<ServerInfo> started = server.starting;
    publish();
    startSlot().onComplete(slot -> spawn(server, ++server.generation, 1)
        .onComplete(done -> releaseStartSlot()));
    return started.future();
  }

  /** Spawns one process and waits until it is healthy; the future ends when this attempt is decided. */
  private Future<Void> spawn(ModelServer server, long generation, int attempt) {
    if (server.generation != generation || server.state != ServerState.STARTING) {
      return Future.succeededFuture();
    }
    ModelEntry entry = server.entry;
    return context.<PortLease>executeBlocking(() -> ports.lease(server.id))
        .compose(lease -> {
          if (server.generation != generation || server.state != ServerState.STARTING) {
            ports.release(lease);
            return Future.succeededFuture();
          }
          server.lease = lease;
          Path log = settings.logDir().resolve(safeFileName(server.id) + "-" + lease.port() + ".log");
          return hop(launcher.launch(LlamaServerCommand.build(settings.binary(), entry, lease.port()),
              entry.launch().env(), log))
              .compose(child -> {
                if (server.generation != generation || server.state != ServerState.STARTING) {
                  // Stopped while the process was being spawned: it must not live on.
                  return terminate(child).eventually(() -> {
                    if (server.lease == lease) {
                      releasePort(server, false);
                    }
                    return Future.succeededFuture();
                  });
                }
                server.child = child;
                server.startedAt = clock.instant();
                publish();
                hop(child.onExit()).onComplete(exit -> exited(server, generation, attempt,
                    exit.succeeded() ? exit.result() : -1));
                Promise<Void> decided = Promise.promise();
                server.attemptDecided = decided;
                waitHealthy(server, generation, clock.instant().plus(settings.startupTimeout()));
                return decided.future();
              });
        })
        .recover(failure -> {
          if (server.generation == generation && server.state == ServerState.STARTING) {
            releasePort(server, false);
            failStart(server, failure instanceof NoPortAvailableException
                ? new ServerException(ServerException.Reason.NO_PORT_AVAILABLE, failure.getMessage())
                : failure instanceof ServerException known ? known
                : new ServerException(ServerException.Reason.START_FAILED, String.valueOf(failure.getMessage())));
          }
          return Future.succeededFuture();
        });
  }

  private void waitHealthy(ModelServer server, long generation, Instant deadline) {
    if (server.generation != generation || server.state != ServerState.STARTING || server.child == null) {
      return;
    }
    hop(probe.status(server.lease.port())).onComplete(status -> {
      if (server.generation != generation || server.state != ServerState.STARTING) {
        return;
      }
      if (status.succeeded() && status.result() == 200) {
        becomeReady(server);
        return;
      }
      if (!clock.instant().isBefore(deadline)) {
        String tail = String.join("\n", server.child.logTail(ERROR_LOG_LINES));
        server.generation++;
        Child child = server.child;
        terminate(child).onComplete(ignored -> releasePort(server, false));
        failStart(server, new ServerException(ServerException.Reason.START_TIMEOUT, "llama-server for '" + server.id
            + "' was not healthy within " + settings.startupTimeout().toSeconds() + " s." + logs(tail)));
        return;
      }
      scheduler.after(POLL).onComplete(tick -> waitHealthy(server, generation, deadline));
    });
  }

  private void becomeReady(ModelServer server) {
    server.state = ServerState.READY;
    server.lastLog = List.of();
    publish();
    LOG.info(() -> "model " + server.id + " is ready on port " + server.lease.port() + " (pid " + server.child.pid()
        + ")");
    ServerInfo info = server.info();
    events.ready(info);
    Promise<ServerInfo> started = server.starting;
    server.starting = null;
    decide(server);
    started.complete(info);
  }

  private void exited(ModelServer server, long generation, int attempt, int code) {
    if (server.generation != generation) {
      return;
    }
    Child child = server.child;
    List<String> tail = child == null ? List.of() : child.logTail(ERROR_LOG_LINES);
    if (server.state == ServerState.STARTING) {
      server.child = null;
      server.lastLog = tail;
      if (mentionsTakenPort(tail) && attempt < PORT_ATTEMPTS) {
        LOG.warning(() -> "port " + server.lease.port() + " was taken when " + server.id
            + " started; trying another");
        releasePort(server, true);
        decide(server);
        spawn(server, generation, attempt + 1);
        return;
      }
      releasePort(server, false);
      decide(server);
      failStart(server, new ServerException(ServerException.Reason.EXITED_WHILE_LOADING, "llama-server for '" + server.id
          + "' exited with code " + code + " while loading." + logs(String.join("\n", tail))));
    } else if (server.state == ServerState.READY) {
      crashed(server, code, tail);
    }
  }

  private void crashed(ModelServer server, int code, List<String> tail) {
    events.gone(server.info());
    server.child = null;
    server.lastLog = tail;
    releasePort(server, false);
    Instant now = clock.instant();
    server.crashes.addLast(now);
    while (!server.crashes.isEmpty() && server.crashes.peekFirst().isBefore(now.minus(SupervisorSettings.CRASH_WINDOW))) {
      server.crashes.removeFirst();
    }
    String reason = "llama-server for '" + server.id + "' exited with code " + code + logs(String.join("\n", tail));
    if (server.crashes.size() >= SupervisorSettings.MAX_CRASHES) {
      server.state = ServerState.FAILED;
      server.lastError = "crashed " + server.crashes.size() + " times within "
          + SupervisorSettings.CRASH_WINDOW.toMinutes() + " minutes; start it again by hand. Last: " + reason;
      publish();
      LOG.severe(() -> server.lastError);
      events.failed(server.info());
      return;
    }
    Duration backoff = Duration.ofSeconds(Math.min(SupervisorSettings.MAX_BACKOFF.toSeconds(),
        1L << Math.min(30, server.crashes.size() - 1)));
    server.state = ServerState.STARTING;
    server.lastError = reason;
    server.restarts++;
    server.starting = Promise.promise();
    long generation = ++server.generation;
    publish();
    LOG.warning(() -> reason + "; restarting in " + backoff.toSeconds() + " s");
    scheduler.after(backoff).onComplete(waited -> {
      if (server.generation == generation && server.state == ServerState.STARTING) {
        startSlot().onComplete(slot -> spawn(server, generation, 1).onComplete(done -> releaseStartSlot()));
      }
    });
  }

  private Future<Void> stop(ModelServer server) {
    switch (server.state) {
      case STOPPED, FAILED -> {
        return Future.succeededFuture();
      }
      case STOPPING -> {
        return server.stopping;
      }
      default -> {
      }
    }
    boolean wasReady = server.state == ServerState.READY;
    server.state = ServerState.STOPPING;
    server.generation++;
    if (server.starting != null) {
      server.starting.tryFail(new ServerException(ServerException.Reason.STOPPED, "The server of '" + server.id
          + "' was stopped while it was starting."));
      server.starting = null;
      decide(server);
    }
    publish();
    Future<Void> drained = wasReady
        ? Future.any(hop(events.leaving(server.info())), scheduler.after(settings.drainTimeout())).mapEmpty()
        : Future.succeededFuture();
    Child child = server.child;
    server.stopping = drained
        .compose(v -> child == null ? Future.succeededFuture() : terminate(child))
        .eventually(() -> {
          server.child = null;
          server.lastLog = child == null ? server.lastLog : child.logTail(ERROR_LOG_LINES);
          releasePort(server, false);
          server.state = ServerState.STOPPED;
          server.stopping = null;
          publish();
          LOG.info(() -> "model " + server.id + " stopped");
          return Future.succeededFuture();
        });
    return server.stopping;
  }

  /** SIGTERM, then SIGKILL if the process is still there after the grace time; ends when it has exited. */
  private Future<Void> terminate(Child child) {
    child.terminate();
    Future<Integer> exit = hop(child.onExit());
    return Future.any(exit, scheduler.after(settings.terminateGrace()))
        .compose(first -> {
          if (exit.isComplete()) {
            return Future.succeededFuture();
          }
          child.kill();
          return exit.mapEmpty();
        })
        .mapEmpty();
  }

  private void failStart(ModelServer server, ServerException error) {
    server.state = ServerState.FAILED;
    server.lastError = error.getMessage();
    publish();
    LOG.warning(error::getMessage);
    Promise<ServerInfo> starting = server.starting;
    server.starting = null;
    decide(server);
    if (starting != null) {
      starting.tryFail(error);
    }
  }

  /** Ends the current spawn attempt's wait, so its start slot is given back. */
  private static void decide(ModelServer server) {
    if (server.attemptDecided != null) {
      Promise<Void> decided = server.attemptDecided;
      server.attemptDecided = null;
      decided.tryComplete();
    }
  }

  private void releasePort(ModelServer server, boolean taken) {
    if (server.lease != null) {
      if (taken) {
        ports.releaseAsBusy(server.lease);
      } else {
        ports.release(server.lease);
      }
      server.lease = null;
    }
  }

  private Future<Void> startSlot() {
    if (startsUnderWay < settings.concurrentStarts()) {
      startsUnderWay++;
      return Future.succeededFuture();
    }
    Promise<Void> slot = Promise.promise();
    waitingToStart.addLast(slot);
    return slot.future();
  }

  private void releaseStartSlot() {
    Promise<Void> next = waitingToStart.pollFirst();
    if (next != null) {
      next.complete();
    } else {
      startsUnderWay--;
    }
  }

  private void publish() {
    List<ServerInfo> infos = new ArrayList<>(servers.size());
    servers.values().forEach(server -> infos.add(server.info()));
    snapshot = List.copyOf(infos);
  }

  private static boolean mentionsTakenPort(List<String> lines) {
    return lines.stream().anyMatch(line -> line.contains("couldn't bind") || line.contains("Address already in use"));
  }

  private static String logs(String tail) {
    return tail.isBlank() ? "" : " Last output:\n" + tail;
  }

  /** A model id made safe for a file name. */
  static String safeFileName(String id) {
    return id.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** Runs {@code action} on the fleet's context and hands its result back to the caller's. */
  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(result);
      } catch (RuntimeException e) {
        result.fail(e);
      }
    });
    return result.future();
  }

  /** Brings the completion of {@code future} (which may happen on any thread) onto the fleet's context. */
  private <T> Future<T> hop(Future<T> future) {
    Promise<T> result = Promise.promise();
    future.onComplete(outcome -> context.runOnContext(v -> result.handle(outcome)));
    return result.future();
  }

  /** One server instance; touched only on the fleet's context. */
  private final class ModelServer {
    final String id;
    ModelEntry entry;
    ServerState state = ServerState.STOPPED;
    PortLease lease;
    Child child;
    Instant startedAt;
    int restarts;
    String lastError = "";
    List<String> lastLog = List.of();
    Promise<ServerInfo> starting;
    Promise<Void> attemptDecided;
    Future<Void> stopping;
    long generation;
    final Deque<Instant> crashes = new ArrayDeque<>();

    ModelServer(String id, ModelEntry entry) {
      this.id = id;
      this.entry = entry;
    }

    ServerInfo info() {
      return new ServerInfo(id, entry.id(), entry.launch(), lease == null ? 0 : lease.port(),
          child == null ? 0 : child.pid(), state, Optional.ofNullable(child == null ? null : startedAt), restarts,
          lastError);
    }
  }
}
