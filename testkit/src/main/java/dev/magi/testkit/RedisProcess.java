package dev.magi.testkit;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code redis-server} on a leased port, for tests that must stop and start it: no
 * persistence, loopback only. {@link #stop()} and {@link #start()} keep the port; closing stops it.
 */
public final class RedisProcess implements AutoCloseable {

  private final int port;
  private final Path log;
  private Process process;

  private RedisProcess(int port, Path log) {
    this.port = port;
    this.log = log;
  }

  /** Starts one on a free port, logging to {@code log}. */
  public static RedisProcess start(Path log) throws IOException, InterruptedException {
    RedisProcess redis = new RedisProcess(FreePorts.range(1), log);
    redis.start();
    return redis;
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts it (again) on its port, once it accepts connections. */
  public void start() throws IOException, InterruptedException {
    process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > until) {
          process.destroyForcibly();
          throw new IllegalStateException("redis-server did not start on port " + port + "; see " + log);
        }
        Thread.sleep(20);
      }
    }
  }

  /** Kills it at once (SIGKILL): clients see connections drop and refused. */
  public void stop() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
