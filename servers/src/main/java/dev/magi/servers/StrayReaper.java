package dev.magi.servers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Stops children left behind by an earlier Magi: every pid in the pid file whose process still runs
 * and carries {@code MAGI_CHILD=<marker>} in its environment (so a recycled pid of some other program
 * is never touched). Runs once at startup, before any new child is spawned. Blocking.
 */
public final class StrayReaper {

  private static final Logger LOG = Logger.getLogger(StrayReaper.class.getName());

  private StrayReaper() {
  }

  /**
   * @return how many strays were stopped
   */
  public static int reap(Path pidFile, String marker, Duration grace) {
    int stopped = 0;
    for (long pid : PidFile.read(pidFile)) {
      Optional<ProcessHandle> handle = ProcessHandle.of(pid);
      if (handle.isEmpty() || !handle.get().isAlive() || !isMarked(pid, marker)) {
        continue;
      }
      LOG.warning(() -> "stopping llama-server pid " + pid + " left behind by an earlier Magi");
      ProcessHandle process = handle.get();
      process.destroy();
      try {
        process.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        process.destroyForcibly();
      }
      stopped++;
    }
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException ignored) {
      // rewritten by the next spawn anyway
    }
    return stopped;
  }

  /** Whether process {@code pid} has {@code MAGI_CHILD=<marker>} in its environment (Linux /proc). */
  static boolean isMarked(long pid, String marker) {
    try {
      byte[] environ = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
      String wanted = ProcessLauncher.MARKER_ENV + "=" + marker;
      for (String entry : new String(environ, StandardCharsets.UTF_8).split("\0")) {
        if (entry.equals(wanted)) {
          return true;
        }
      }
    } catch (IOException | SecurityException e) {
      return false;
    }
    return false;
  }
}
