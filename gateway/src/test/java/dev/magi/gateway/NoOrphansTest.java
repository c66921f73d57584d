package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaExecutable;
import dev.magi.testkit.FreePorts;
import dev.magi.testkit.GgufWriter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Children must die with Magi, even when Magi's JVM is killed with SIGKILL and runs no shutdown hook. */
class NoOrphansTest {

  private static final Pattern LISTENING = Pattern.compile("Magi listening on (http://[0-9.]+:[0-9]+)");

  @TempDir
  Path dir;

  /** Alive and not a zombie (an exited child not yet reaped no longer runs). */
  private static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void sigkillingMagiLeavesNoChildBehind() throws Exception {
    GgufWriter.chatModel("a", 10).write(dir.resolve("models/model-a.gguf"));
    GgufWriter.chatModel("b", 10).write(dir.resolve("models/model-b.gguf"));
    int base = FreePorts.range(2);
    Path config = Files.writeString(dir.resolve("magi.yaml"), "server:\n  port: 0\nmodels:\n  dir: "
        + dir.resolve("models") + "\n  data: " + dir.resolve("data") + "\n  logs: " + dir.resolve("logs")
        + "\n  llama_server: " + FakeLlamaExecutable.write(dir.resolve("bin")) + "\n  port_range_start: " + base
        + "\n  port_range_end: " + (base + 9) + "\n");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process magi = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "serve", "--config", config.toString()).redirectErrorStream(true).start();
    List<Long> children = new ArrayList<>();
    try {
      String url = listeningUrl(magi);
      HttpClient http = HttpClient.newHttpClient();
      for (String model : List.of("model-a", "model-b")) {
        HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(url + "/api/models/" + model
            + "/start")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, started.statusCode(), started.body());
      }
      JsonNode servers = new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(URI.create(url
          + "/api/models/servers")).build(), HttpResponse.BodyHandlers.ofString()).body());
      servers.get("servers").forEach(server -> children.add(server.get("pid").asLong()));
      assertEquals(2, children.size());
      assertTrue(children.stream().allMatch(NoOrphansTest::running));

      magi.toHandle().destroyForcibly();
      magi.waitFor(10, TimeUnit.SECONDS);
      long killedAt = System.nanoTime();
      while (children.stream().anyMatch(NoOrphansTest::running)) {
        assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(2),
            "children still running 2 s after Magi was killed: " + children);
        Thread.sleep(20);
      }
    } finally {
      magi.destroyForcibly();
      children.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
  }

  /** Reads Magi's output until it says where it listens. */
  private static String listeningUrl(Process magi) throws Exception {
    CompletableFuture<String> url = new CompletableFuture<>();
    StringBuilder output = new StringBuilder();
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(magi.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          synchronized (output) {
            output.append(line).append('\n');
          }
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            url.complete(m.group(1));
          }
        }
        url.completeExceptionally(new IllegalStateException("Magi exited:\n" + output));
      } catch (IOException e) {
        url.completeExceptionally(e);
      }
    }, "magi-output");
    reader.setDaemon(true);
    reader.start();
    return url.get(60, TimeUnit.SECONDS);
  }
}
