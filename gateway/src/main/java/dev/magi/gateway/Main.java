package dev.magi.gateway;

import dev.magi.gateway.config.BackendSettings;
import dev.magi.gateway.config.ConfigException;
import dev.magi.gateway.config.ConfigLoader;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.registry.OllamaModelName;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The command line: {@code magi serve [--config PATH]}. Exit codes: 0 running (the process stays up),
 * 1 the gateway could not start, 2 invalid configuration or usage.
 */
public final class Main {

  private Main() {
  }

  /** Starts the gateway and returns; Vert.x threads keep the JVM alive until it is stopped. */
  public static void main(String[] args) {
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n");
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.JULLogDelegateFactory");
    int code = run(Arrays.asList(args), System.getenv(), System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * Runs one command.
   *
   * @return 0 when the gateway is up, otherwise the exit code
   */
  static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    String command = args.isEmpty() ? "serve" : args.get(0);
    if (command.equals("--help") || command.equals("help") || command.equals("-h")) {
      out.println("usage: magi serve [--config PATH]");
      return 0;
    }
    if (!command.equals("serve")) {
      err.println("magi: unknown command '" + command + "' (usage: magi serve [--config PATH])");
      return 2;
    }
    MagiConfig config;
    try {
      config = ConfigLoader.load(args.subList(1, args.size()), env);
    } catch (ConfigException e) {
      err.println("magi: invalid configuration: " + e.getMessage());
      return 2;
    }
    // Before any event loop runs: growing the table later pauses whichever loop accepts (see the class).
    DescriptorTable.reserve(DescriptorTable.DEFAULT_RESERVE);
    Vertx vertx = Vertx.vertx(Gateway.vertxOptions());
    Gateway gateway;
    try {
      gateway = Gateway.start(vertx, config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      err.println("magi: cannot start on " + config.server().host() + ":" + config.server().port() + ": "
          + cause.getMessage());
      vertx.close();
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
    Gateway running = gateway;
    GracefulStop graceful = new GracefulStop(running, vertx, config.server().drainTimeout(),
        config.models().drainTimeout().plusSeconds(10), () -> System.exit(0));
    graceful.install();
    // Any other way out (SIGHUP, System.exit elsewhere): model servers stop, without the drain.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (graceful.started()) {
        return;
      }
      try {
        running.stop().toCompletionStage().toCompletableFuture().get(config.models().drainTimeout().toSeconds() + 10,
            TimeUnit.SECONDS);
      } catch (Exception ignored) {
        running.models().close();
      }
    }, "magi-shutdown"));
    out.println("Magi listening on http://" + config.server().host() + ":" + gateway.port() + " ("
        + (vertx.isNativeTransportEnabled() ? "native epoll" : "NIO") + " transport)");
    describeBackends(config, out);
    out.flush();
    return 0;
  }

  private static void describeBackends(MagiConfig config, PrintStream out) {
    if (config.backends().isEmpty()) {
      out.println("No backends configured: add them under 'backends:' in magi.yaml (see magi.example.yaml).");
      return;
    }
    for (BackendSettings backend : config.backends()) {
      String name = backend.model().map(m -> m + " -> ").orElse("all models of ");
      String aliases = backend.aliases().isEmpty() ? "" : " (aliases: " + String.join(", ", backend.aliases()) + ")";
      out.println("  " + name + backend.endpoint() + aliases);
    }
    gatewayModels(config, out);
  }

  private static void gatewayModels(MagiConfig config, PrintStream out) {
    long ollama = config.backends().stream().filter(b -> b.model().isEmpty()).count();
    if (ollama > 0) {
      out.println("  Ollama models are listed from /api/tags (" + OllamaModelName.DEFAULT_TAG
          + " is assumed when a name has no tag).");
    }
  }
}
