package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaExecutable;
import dev.magi.testkit.FreePorts;
import dev.magi.testkit.GgufWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Children must die with Magi, even when Magi's JVM is killed with SIGKILL and runs no shutdown hook. */
class NoOrphansTest {

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

  /** Starts Magi over two models whose servers run {@code llamaServer}; returns the servers' pids. */
  private List<Long> startTwoServers(MagiProcess magi, String token) throws Exception {
    String url = magi.url();
    HttpClient http = HttpClient.newHttpClient();
    for (String model : List.of("model-a", "model-b")) {
      HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(url + "/api/models/" + model
          + "/start")).header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, started.statusCode(), started.body());
    }
    JsonNode servers = new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(URI.create(url
        + "/api/models/servers")).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    List<Long> children = new ArrayList<>();
    servers.get("servers").forEach(server -> children.add(server.get("pid").asLong()));
    assertEquals(2, children.size());
    assertTrue(children.stream().allMatch(NoOrphansTest::running));
    return children;
  }

  private Path config(Path llamaServer, String extra) throws IOException {
    GgufWriter.chatModel("a", 10).write(dir.resolve("models/model-a.gguf"));
    GgufWriter.chatModel("b", 10).write(dir.resolve("models/model-b.gguf"));
    int base = FreePorts.range(2);
    return Files.writeString(dir.resolve("magi.yaml"), "server:\n  port: 0\nmodels:\n  dir: "
        + dir.resolve("models") + "\n  data: " + dir.resolve("data") + "\n  logs: " + dir.resolve("logs")
        + "\n  llama_server: " + llamaServer + "\n  port_range_start: " + base
        + "\n  port_range_end: " + (base + 9) + "\n" + extra);
  }

  @Test
  void sigkillingMagiLeavesNoChildBehindEvenOneThatIgnoresSigterm() throws Exception {
    Path config = config(FakeLlamaExecutable.write(dir.resolve("bin"), "ignore_sigterm"), "");
    List<Long> children = new ArrayList<>();
    try (MagiProcess magi = MagiProcess.start(dir, Map.of("MAGI_ADMIN_TOKEN", "t0ken"), "serve", "--config",
        config.toString())) {
      children.addAll(startTwoServers(magi, "t0ken"));
      magi.process.toHandle().destroyForcibly();
      magi.process.waitFor(10, TimeUnit.SECONDS);
      long killedAt = System.nanoTime();
      while (children.stream().anyMatch(NoOrphansTest::running)) {
        assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(2),
            "children still running 2 s after Magi was killed: " + children);
        Thread.sleep(20);
      }
    } finally {
      children.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
  }

  @Test
  void modelServersGetAnAllowListedEnvironmentWithoutMagisSecrets() throws Exception {
    Path config = config(FakeLlamaExecutable.write(dir.resolve("bin")),
        "  settings:\n    model-b:\n      env:\n        LLAMA_ARG_FLASH_ATTN: \"on\"\n        HF_TOKEN: hf-secret\n");
    Map<String, String> env = Map.of("MAGI_ADMIN_TOKEN", "admin-secret", "MAGI_API_KEYS", "sk-secret",
        "PGPASSWORD", "pg-secret", "MY_SERVICE_TOKEN", "svc-secret", "CUDA_VISIBLE_DEVICES", "0",
        "GGML_CUDA_NO_PINNED", "1", "LANG", "C.UTF-8");
    List<Long> children = new ArrayList<>();
    try (MagiProcess magi = MagiProcess.start(dir, env, "serve", "--config", config.toString())) {
      children.addAll(startTwoServers(magi, "admin-secret"));
      for (int i = 0; i < 2; i++) {
        Map<String, String> seen = environment(children.get(i));
        assertTrue(seen.containsKey("MAGI_CHILD"), seen.toString());
        assertEquals("0", seen.get("CUDA_VISIBLE_DEVICES"));
        assertEquals("1", seen.get("GGML_CUDA_NO_PINNED"));
        assertEquals("C.UTF-8", seen.get("LANG"));
        assertTrue(seen.containsKey("PATH"));
        for (String secret : List.of("MAGI_ADMIN_TOKEN", "MAGI_API_KEYS", "PGPASSWORD", "MY_SERVICE_TOKEN")) {
          assertTrue(!seen.containsKey(secret), secret + " reached a model server: " + seen.keySet());
        }
        java.util.Set<String> allowed = new java.util.HashSet<>(List.of("PATH", "HOME", "LANG", "TZ",
            "LD_LIBRARY_PATH", "HF_HOME", "TMPDIR", "MAGI_CHILD", "LLAMA_ARG_FLASH_ATTN", "HF_TOKEN",
            // set by /bin/sh itself: the fake llama-server is a shell script that execs a JVM
            "PWD"));
        for (String name : seen.keySet()) {
          assertTrue(allowed.contains(name) || name.matches("(LC|CUDA|HIP|ROCR|GGML|LLAMA|OMP)_.*"),
              name + " is not on the allow-list");
        }
      }
      // A session of its own: a terminal's Ctrl-C signals Magi, which drains, not the servers under it.
      for (long child : children) {
        assertTrue(sessionOf(child) != sessionOf(magi.process.pid()), "model server " + child + " shares Magi's session");
      }
      // The fake's own launcher script is the child: model-b's configured variables are its own.
      Map<String, String> b = environment(children.get(1));
      Map<String, String> a = environment(children.get(0));
      Map<String, String> withEnv = b.containsKey("HF_TOKEN") ? b : a;
      Map<String, String> without = withEnv == b ? a : b;
      assertEquals("on", withEnv.get("LLAMA_ARG_FLASH_ATTN"));
      assertEquals("hf-secret", withEnv.get("HF_TOKEN"));
      assertTrue(!without.containsKey("HF_TOKEN"), "one model's env is its own");
    } finally {
      children.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
  }

  @Test
  void aSecondMagiOnTheSameDataDirectoryExitsWithCode2AndTouchesNothing() throws Exception {
    Path config = config(FakeLlamaExecutable.write(dir.resolve("bin")), "");
    List<Long> children = new ArrayList<>();
    try (MagiProcess first = MagiProcess.start(dir, Map.of("MAGI_ADMIN_TOKEN", "t"), "serve", "--config",
        config.toString())) {
      children.addAll(startTwoServers(first, "t"));
      // Same configuration, another port: only the data directory is shared.
      try (MagiProcess second = MagiProcess.start(dir, Map.of(), "serve", "--config", config.toString(),
          "--port", "0")) {
        assertEquals(2, second.awaitExit(60));
        assertTrue(second.output().contains("is in use by another Magi (process " + first.process.pid() + ","),
            second.output());
        assertTrue(!second.output().contains("Magi listening"), second.output());
      }
      assertTrue(children.stream().allMatch(NoOrphansTest::running), "the first Magi's servers still run");
      HttpResponse<String> servers = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(first.url()
          + "/api/models/servers")).header("Authorization", "Bearer t").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, servers.statusCode());
      assertTrue(servers.body().contains("\"status\":\"ready\""), servers.body());
    } finally {
      children.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
  }

  /** The session id of process {@code pid} ({@code /proc/<pid>/stat}, field 6). */
  private static long sessionOf(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
  }

  /** The environment of process {@code pid}, from {@code /proc}. */
  private static Map<String, String> environment(long pid) throws IOException {
    Map<String, String> env = new java.util.HashMap<>();
    for (String entry : new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")),
        StandardCharsets.UTF_8).split("\0")) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        env.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    return env;
  }

}
