package dev.magi.servers;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How model servers are supervised.
 *
 * @param binary the llama-server executable ({@code LLAMA_SERVER_PATH}, default {@code llama-server} on PATH)
 * @param startupTimeout how long a server may take to become healthy ({@code MODEL_MAX_STARTUP_TIME}, 120 s)
 * @param concurrentStarts how many servers may load at once (1 when {@code MODEL_CONCURRENT_STARTS} is false)
 * @param drainTimeout how long a stopping server may finish its requests in flight (30 s)
 * @param terminateGrace time between SIGTERM and SIGKILL (5 s)
 * @param logDir where {@code <model>-<port>.log} files go
 * @param dataDir where the pid file of children lives
 */
public record SupervisorSettings(String binary, Duration startupTimeout, int concurrentStarts, Duration drainTimeout,
    Duration terminateGrace, Path logDir, Path dataDir) {

  /** Restart delays after a crash: 1, 2, 4 ... seconds, at most this. */
  public static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
  /** This many crashes within {@link #CRASH_WINDOW} make a server {@link ServerState#FAILED}. */
  public static final int MAX_CRASHES = 5;
  /** The window in which crashes are counted. */
  public static final Duration CRASH_WINDOW = Duration.ofMinutes(10);
}
