package dev.magi.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fake {@code llama-server} executable, for supervision tests: started as a real child process
 * with llama-server's own flags ({@code -m --host --port --alias -c -np --embeddings --reranking --metrics}), it binds its
 * port at once, answers 503 "Loading model" while "loading", then serves like {@link FakeLlamaServer}.
 *
 * <p>Behaviours come from {@code FAKE_LLAMA_BEHAVIOUR}, comma-separated:
 * <ul>
 *   <li>{@code load_ms=N}: loading takes N ms (default 100)</li>
 *   <li>{@code exit_during_load=N}: exits with code N halfway through loading</li>
 *   <li>{@code crash_after_ms=N}: exits with code 1 N ms after it first answered {@code /health} with
 *       200, that is after its supervisor saw it ready (counting from the end of loading instead
 *       raced the supervisor's polling on a busy machine: the crash could come before the 200 was
 *       seen, and count as an exit during load)</li>
 *   <li>{@code ignore_sigterm}: SIGTERM does nothing; only SIGKILL ends it</li>
 *   <li>{@code token_ms=N}: time per generated token</li>
 * </ul>
 * A model file whose path contains {@code fails-to-load} always exits during load (code 1), so one
 * model of several can fail. A port that is already bound makes it print llama-server's own message
 * and exit with code 1.
 */
public final class FakeLlamaServerMain {

  /** The environment variable that selects behaviours. */
  public static final String BEHAVIOUR_ENV = "FAKE_LLAMA_BEHAVIOUR";

  private FakeLlamaServerMain() {
  }

  public static void main(String[] args) {
    Map<String, String> flags = flags(args);
    Map<String, String> behaviour = behaviour(System.getenv(BEHAVIOUR_ENV));
    System.out.println("fake llama-server argv: " + String.join(" ", args));
    System.out.println("build: 9749 (d32676d77) with fake for x86_64-linux-gnu");
    if (behaviour.containsKey("ignore_sigterm")) {
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> System.out.println("ignoring SIGTERM"));
    }
    String host = flags.getOrDefault("--host", "127.0.0.1");
    int port = Integer.parseInt(flags.getOrDefault("--port", "8080"));
    int slots = Integer.parseInt(flags.getOrDefault("-np", "1"));
    int context = Integer.parseInt(flags.getOrDefault("-c", "4096"));
    String alias = flags.getOrDefault("--alias", flags.getOrDefault("-m", "model"));
    long loadMillis = Long.parseLong(behaviour.getOrDefault("load_ms", "100"));

    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    FakeLlamaServer.Options options = new FakeLlamaServer.Options().port(port).alias(alias).slots(slots)
        .contextPerSlot(Math.max(1, context / slots)).embeddings(flags.containsKey("--embeddings"))
        .reranking(flags.containsKey("--reranking"))
        .metrics(flags.containsKey("--metrics")).logRequests(true)
        .tokenDelayMillis(Long.parseLong(behaviour.getOrDefault("token_ms", "0"))).startLoading(true);
    FakeLlamaServer.start(vertx, options).onComplete(started -> {
      if (started.failed()) {
        System.out.println("start: couldn't bind HTTP server socket, hostname: " + host + ", port: " + port);
        System.out.println("main: exiting due to HTTP server error");
        System.out.flush();
        Runtime.getRuntime().halt(1);
        return;
      }
      FakeLlamaServer server = started.result();
      System.out.println("main: HTTP server is listening, hostname: " + host + ", port: " + port);
      System.out.println("main: loading model");
      boolean failsToLoad = flags.getOrDefault("-m", "").contains("fails-to-load");
      if (behaviour.containsKey("exit_during_load") || failsToLoad) {
        vertx.setTimer(Math.max(1, loadMillis / 2), id -> {
          System.out.println("llama_model_load: error loading model: tensor data is not within the file bounds");
          System.out.flush();
          Runtime.getRuntime().halt(Integer.parseInt(behaviour.getOrDefault("exit_during_load", "1")));
        });
        return;
      }
      vertx.setTimer(Math.max(1, loadMillis), id -> {
        server.setLoading(false);
        System.out.println("main: server is listening on http://" + host + ":" + port + " - starting the main loop");
        System.out.flush();
        if (behaviour.containsKey("crash_after_ms")) {
          long crashMillis = Math.max(1, Long.parseLong(behaviour.get("crash_after_ms")));
          server.answeredHealthy().onComplete(healthy -> vertx.setTimer(crashMillis, t -> {
            System.out.println("GGML_ASSERT failed: fake crash");
            System.out.flush();
            Runtime.getRuntime().halt(1);
          }));
        }
      });
    });
  }

  /** {@code -flag value} pairs; flags without a value map to "". */
  static Map<String, String> flags(String[] args) {
    Map<String, String> flags = new HashMap<>();
    List<String> list = Arrays.asList(args);
    for (int i = 0; i < list.size(); i++) {
      String arg = list.get(i);
      if (!arg.startsWith("-")) {
        continue;
      }
      boolean hasValue = i + 1 < list.size() && !list.get(i + 1).startsWith("--")
          && !(list.get(i + 1).startsWith("-") && list.get(i + 1).length() > 1 && !Character.isDigit(list.get(i + 1).charAt(1)));
      flags.put(arg, hasValue ? list.get(++i) : "");
    }
    return flags;
  }

  static Map<String, String> behaviour(String spec) {
    Map<String, String> result = new HashMap<>();
    if (spec == null || spec.isBlank()) {
      return result;
    }
    for (String part : spec.split(",")) {
      String[] kv = part.trim().split("=", 2);
      result.put(kv[0], kv.length > 1 ? kv[1] : "");
    }
    return result;
  }
}
