package dev.magi.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Magi as a real process ({@code java -cp <this class path> dev.magi.gateway.Main ...}), its output
 * collected line by line. Closing it kills it if it still runs.
 */
final class MagiProcess implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("Magi listening on (http://[0-9.]+:[0-9]+)");

  final Process process;
  private final List<String> lines = new ArrayList<>();
  private final CompletableFuture<String> url = new CompletableFuture<>();
  private final CompletableFuture<Void> outputClosed = new CompletableFuture<>();

  private MagiProcess(Process process) {
    this.process = process;
    Thread reader = new Thread(this::read, "magi-output-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code Main} with {@code args} in {@code workDir}, with {@code env} added to this environment. */
  static MagiProcess start(Path workDir, Map<String, String> env, String... args) throws IOException {
    // As from a terminal, whatever ran the tests: a build started under nohup passes SIGHUP on ignored,
    // and the JVM then installs no handler for it (so the reload on SIGHUP could not be tested).
    return start(List.of("env", "--default-signal=HUP"), workDir, env, args);
  }

  /** Starts {@code Main} as {@link #start} does, but with SIGHUP ignored, as under {@code nohup}. */
  static MagiProcess startIgnoringHangups(Path workDir, Map<String, String> env, String... args) throws IOException {
    return start(List.of("nohup"), workDir, env, args);
  }

  private static MagiProcess start(List<String> launcher, Path workDir, Map<String, String> env, String... args)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(launcher);
    command.addAll(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
    builder.environment().putAll(env);
    return new MagiProcess(builder.start());
  }

  private void read() {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        synchronized (lines) {
          lines.add(line);
        }
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          url.complete(m.group(1));
        }
      }
    } catch (IOException e) {
      // the process is gone
    } finally {
      url.completeExceptionally(new IllegalStateException("Magi exited:\n" + output()));
      outputClosed.complete(null);
    }
  }

  /** Waits until Magi says where it listens (60 s at most). */
  String url() throws Exception {
    return url.get(60, TimeUnit.SECONDS);
  }

  /** Waits for the process to exit (at most {@code seconds}) and for its last line of output. */
  int awaitExit(long seconds) throws Exception {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new IllegalStateException("Magi still runs after " + seconds + " s:\n" + output());
    }
    outputClosed.get(10, TimeUnit.SECONDS);
    return process.exitValue();
  }

  /** Everything printed so far. */
  String output() {
    synchronized (lines) {
      return String.join("\n", lines);
    }
  }

  /** The lines printed so far. */
  List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** Sends a signal by name ({@code HUP}). */
  void signal(String name) throws Exception {
    new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
  }

  /** Sends SIGTERM. */
  void terminate() {
    process.toHandle().destroy();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
