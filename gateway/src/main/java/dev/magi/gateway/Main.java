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
 * The command line ({@link CommandLine}): {@code magi serve}, {@code magi version}, {@code magi --help}.
 * Exit codes: 0 running (the process stays up) or done, 1 the gateway could not start, 2 invalid
 * usage or configuration, or the data directory is another Magi's.
 */
public final class Main {

  private Main() {
  }

  /** Starts the gateway and returns; Vert.x threads keep the JVM alive until it is stopped. */
  public static void main(String[] args) {
    System.setProperty("java.util.logging.SimpleFormatter.format", LogLineFormatter.FORMAT);
    for (java.util.logging.Handler handler : java.util.logging.Logger.getLogger("").getHandlers()) {
      handler.setFormatter(new LogLineFormatter());
    }
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.JULLogDelegateFactory");
    int code = run(Arrays.asList(args), System.getenv(), System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Held for the life of the process: the data directory is this Magi's. */
  private static DataDirectoryLock dataLock;

  /**
   * Runs one command.
   *
   * @return 0 when the gateway is up (or the command is done), otherwise the exit code
   */
  static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    CommandLine line;
    try {
      line = CommandLine.parse(args);
    } catch (CommandLine.UsageException e) {
      err.println("magi: " + e.getMessage() + " (see 'magi --help')");
      return 2;
    }
    switch (line.command()) {
      case "help" -> {
        out.print(CommandLine.USAGE);
        return 0;
      }
      case "version" -> {
        out.println("magi " + CommandLine.version());
        return 0;
      }
      default -> {
        if (line.help()) {
          out.print(CommandLine.SERVE_USAGE);
          return 0;
        }
      }
    }
    line.logLevel().map(CommandLine::julLevel).ifPresent(level -> {
      java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
      root.setLevel(level);
      for (java.util.logging.Handler handler : root.getHandlers()) {
        handler.setLevel(level);
      }
    });
    MagiConfig config;
    try {
      config = ConfigLoader.load(List.of(), line.environment(env));
    } catch (ConfigException e) {
      err.println("magi: invalid configuration: " + e.getMessage());
      return 2;
    }
    if (config.log().json()) {
      for (java.util.logging.Handler handler : java.util.logging.Logger.getLogger("").getHandlers()) {
        handler.setFormatter(new JsonLogFormatter());
      }
    }
    // Before anything else touches the data directory (the stray reaper, the active profile).
    try {
      dataLock = DataDirectoryLock.acquire(config.models().dataDir());
    } catch (DataDirectoryLock.HeldException e) {
      err.println("magi: " + e.getMessage());
      return 2;
    } catch (java.io.IOException e) {
      err.println("magi: cannot use data directory " + config.models().dataDir() + ": " + e.getMessage());
      return 1;
    }
    Map<String, String> environment = line.environment(env);
    int code = serve(config, () -> ConfigLoader.load(List.of(), environment), ConfigLoader.file(List.of(), environment),
        out, err);
    if (code != 0) {
      dataLock.close();
      dataLock = null;
    }
    return code;
  }

  private static int serve(MagiConfig config, java.util.concurrent.Callable<MagiConfig> source,
      java.util.Optional<java.nio.file.Path> file, PrintStream out, PrintStream err) {
    // Before any event loop runs: growing the table later pauses whichever loop accepts (see the class).
    DescriptorTable.reserve(DescriptorTable.DEFAULT_RESERVE);
    dev.magi.gateway.metrics.GatewayMetrics metrics = config.metrics().enabled()
        ? new dev.magi.gateway.metrics.GatewayMetrics() : null;
    io.vertx.core.transport.Transport transport = config.server().transport().resolve();
    Vertx vertx = Gateway.newVertx(transport, metrics);
    Gateway gateway;
    try {
      gateway = Gateway.start(vertx, config, source, file, metrics).toCompletionStage().toCompletableFuture()
          .get(60, TimeUnit.SECONDS);
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
    running.reloads().installSignal();
    // Any other way out (System.exit elsewhere): model servers stop, without the drain.
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
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // The JVM is going away; nothing more to do.
      }
    }, "magi-shutdown"));
    out.println("Magi listening on http://" + config.server().host() + ":" + gateway.port() + " ("
        + transport.name() + " transport)");
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
