package dev.magi.servers;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Starts real child processes so that none outlives Magi:
 * <ul>
 *   <li>On Linux, through {@code setpriv --pdeathsig SIGKILL} when it exists: the kernel kills the
 *       child when the thread that spawned it ends, even when the JVM is killed with SIGKILL. SIGKILL,
 *       not SIGTERM: a child that ignores or is slow to act on SIGTERM would otherwise outlive Magi and
 *       hold its port; a Magi that stops normally has already stopped its children gracefully. The
 *       signal follows the spawning <em>thread</em>, so every spawn runs on one long-lived thread.</li>
 *   <li>The child's environment is {@link ChildEnvironment}'s: Magi's secrets stay home.</li>
 *   <li>The child runs in a session of its own ({@code setsid}), so a terminal's Ctrl-C reaches Magi,
 *       which drains, and not the child under it.</li>
 *   <li>Each child carries {@code MAGI_CHILD=<marker>} in its environment and its pid is kept in a pid
 *       file, so a later Magi can find and stop strays ({@link StrayReaper}).</li>
 *   <li>{@link #close()} (from the shutdown hook) terminates what is still running.</li>
 * </ul>
 * Output is read continuously on its own thread per child (a full pipe would block the child) into
 * a {@link LogRing} and the child's log file.
 */
public final class ProcessLauncher implements ChildLauncher, AutoCloseable {

  /** The environment variable that marks Magi's children. */
  public static final String MARKER_ENV = "MAGI_CHILD";
  /** Lines of output kept in memory per child. */
  public static final int LOG_LINES = 1000;

  private static final Logger LOG = Logger.getLogger(ProcessLauncher.class.getName());

  private final String marker;
  private final PidFile pidFile;
  private final Optional<String> setpriv;
  private final Optional<String> setsid;
  private final ExecutorService spawner = Executors.newSingleThreadExecutor(r -> daemon(r, "magi-spawner"));
  private final ExecutorService pumps = Executors.newCachedThreadPool(r -> daemon(r, "magi-child-output"));
  private final Set<Process> running = ConcurrentHashMap.newKeySet();

  /**
   * @param marker the value of {@code MAGI_CHILD} for this Magi's children
   * @param pidFile where their pids are kept
   */
  public ProcessLauncher(String marker, Path pidFile) {
    this.marker = marker;
    this.pidFile = new PidFile(pidFile);
    this.setpriv = findOnPath("setpriv");
    this.setsid = findOnPath("setsid");
    if (setpriv.isEmpty()) {
      LOG.warning("setpriv (util-linux) was not found: children are stopped on shutdown, but not if Magi is killed");
    }
  }

  private static Thread daemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    return thread;
  }

  /** The absolute path of {@code program} as found on {@code PATH}, or empty. */
  static Optional<String> findOnPath(String program) {
    if (program.contains(File.separator)) {
      return Files.isExecutable(Path.of(program)) ? Optional.of(program) : Optional.empty();
    }
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/local/bin:/usr/bin:/bin");
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
      if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
        return Optional.of(candidate.toAbsolutePath().toString());
      }
    }
    return Optional.empty();
  }

  @Override
  public Future<Child> launch(List<String> command, java.util.Map<String, String> env, Path logFile) {
    Promise<Child> result = Promise.promise();
    String binary = command.get(0);
    if (findOnPath(binary).isEmpty()) {
      return Future.failedFuture(new ServerException(ServerException.Reason.BINARY_NOT_FOUND, "llama-server binary '" + binary
          + "' was not found or is not executable; set LLAMA_SERVER_PATH to its path"));
    }
    spawner.execute(() -> {
      try {
        List<String> full = new ArrayList<>();
        setpriv.ifPresent(path -> full.addAll(List.of(path, "--pdeathsig", "SIGKILL", "--")));
        // A session of its own: Ctrl-C in Magi's terminal signals the whole foreground process group,
        // and a model server must not die under the requests Magi is draining. setsid execs in place
        // (the child is no group leader), so the pid and the death signal stay.
        setsid.ifPresent(full::add);
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true);
        java.util.Map<String, String> childEnv = builder.environment();
        childEnv.clear();
        childEnv.putAll(ChildEnvironment.of(System.getenv(), env));
        childEnv.put(MARKER_ENV, marker);
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        Process process = builder.start();
        running.add(process);
        pidFile.add(process.pid());
        RealChild child = new RealChild(process, new LogRing(LOG_LINES));
        pumps.execute(() -> pump(child, logFile));
        process.onExit().thenRun(() -> {
          running.remove(process);
          pidFile.remove(process.pid());
        });
        result.complete(child);
      } catch (IOException | RuntimeException e) {
        result.fail(new ServerException(ServerException.Reason.SPAWN_FAILED, "cannot start " + binary + ": " + e.getMessage()));
      }
    });
    return result.future();
  }

  private static void pump(RealChild child, Path logFile) {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.process.getInputStream(),
        StandardCharsets.UTF_8));
        BufferedWriter log = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      String line;
      while ((line = out.readLine()) != null) {
        child.log.add(line);
        log.write(line);
        log.newLine();
        log.flush();
      }
    } catch (IOException e) {
      child.log.add("[magi] output closed: " + e.getMessage());
    }
  }

  /** Terminates every child still running: SIGTERM, then SIGKILL after 5 s. */
  @Override
  public void close() {
    running.forEach(process -> process.toHandle().destroy());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (Process process : running) {
      try {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !process.waitFor(left, TimeUnit.NANOSECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  /** A child backed by a {@link Process}. */
  private static final class RealChild implements Child {
    private final Process process;
    private final LogRing log;
    private final Future<Integer> exit;

    RealChild(Process process, LogRing log) {
      this.process = process;
      this.log = log;
      this.exit = Future.fromCompletionStage(process.onExit().thenApply(Process::exitValue));
    }

    @Override
    public long pid() {
      return process.pid();
    }

    @Override
    public Future<Integer> onExit() {
      return exit;
    }

    // Signals go through the ProcessHandle: Process.destroy() would also close the output stream,
    // and whatever the child says after SIGTERM (why it is slow to stop) would be lost.
    @Override
    public void terminate() {
      process.toHandle().destroy();
    }

    @Override
    public void kill() {
      process.toHandle().destroyForcibly();
    }

    @Override
    public List<String> logTail(int count) {
      return log.tail(count);
    }

    @Override
    public LogRing.Lines logSince(long seq, int max) {
      return log.since(seq, max);
    }
  }
}
