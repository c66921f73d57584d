package dev.magi.gateway;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Magi's command line, parsed strictly: an option that is not known, a value that is missing, or an
 * argument that means nothing is an error naming it, never silently ignored.
 *
 * <pre>
 * magi serve [--config PATH] [--host HOST] [--port PORT] [--log-level LEVEL]
 * magi version
 * magi --help | magi serve --help
 * </pre>
 *
 * @param command {@code serve}, {@code version} or {@code help}
 * @param help whether usage was asked for
 * @param config {@code --config}
 * @param host {@code --host}
 * @param port {@code --port}
 * @param logLevel {@code --log-level}: error, warn, info or debug
 */
record CommandLine(String command, boolean help, Optional<String> config, Optional<String> host,
    Optional<String> port, Optional<String> logLevel) {

  /** What {@code magi --help} prints. */
  static final String USAGE = """
      usage: magi <command> [options]

      commands:
        serve      run the gateway in the foreground
        version    print Magi's version
        help       print this text (also: --help, -h)

      Run 'magi serve --help' for the options of serve.
      """;

  /** What {@code magi serve --help} prints. */
  static final String SERVE_USAGE = """
      usage: magi serve [--config PATH] [--host HOST] [--port PORT] [--log-level LEVEL]

      options (each wins over the environment and the configuration file):
        --config PATH       configuration file (else MAGI_CONFIG, else ./magi.yaml when it exists)
        --host HOST         interface to listen on (MAGI_HOST; default 127.0.0.1)
        --port PORT         port to listen on, 0 for any free one (MAGI_PORT; default 8000)
        --log-level LEVEL   error, warn, info (default) or debug
        --help, -h          print this text

      Every configuration key is described in magi.example.yaml.
      """;

  private static final List<String> LEVELS = List.of("error", "warn", "info", "debug");

  /** A command line that cannot be run: the message names what is wrong. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Parses {@code args}; no arguments at all means {@code serve}.
   *
   * @throws UsageException naming the first unknown command, unknown option, missing value or stray argument
   */
  static CommandLine parse(List<String> args) {
    if (args.isEmpty()) {
      return new CommandLine("serve", false, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }
    String command = args.get(0);
    switch (command) {
      case "--help", "-h", "help" -> {
        return new CommandLine("help", true, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
      }
      case "version", "--version" -> {
        if (args.size() > 1) {
          throw new UsageException("'version' takes no arguments, got '" + args.get(1) + "'");
        }
        return new CommandLine("version", false, Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty());
      }
      case "serve" -> {
        return serve(args.subList(1, args.size()));
      }
      default -> throw new UsageException(command.startsWith("-") ? "unknown option '" + command + "'"
          : "unknown command '" + command + "'");
    }
  }

  private static CommandLine serve(List<String> args) {
    Map<String, String> values = new HashMap<>();
    boolean help = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--help") || arg.equals("-h")) {
        help = true;
        continue;
      }
      if (!arg.startsWith("--")) {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
      String name = arg;
      String value;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      } else {
        value = null;
      }
      if (!List.of("--config", "--host", "--port", "--log-level").contains(name)) {
        throw new UsageException("unknown option '" + name + "'");
      }
      if (value == null || value.isEmpty()) {
        throw new UsageException(name + " needs a value");
      }
      if (values.put(name, value) != null) {
        throw new UsageException(name + " is given twice");
      }
    }
    String level = values.get("--log-level");
    if (level != null && !LEVELS.contains(level)) {
      throw new UsageException("--log-level must be one of " + String.join(", ", LEVELS) + ", got '" + level + "'");
    }
    return new CommandLine("serve", help, Optional.ofNullable(values.get("--config")),
        Optional.ofNullable(values.get("--host")), Optional.ofNullable(values.get("--port")),
        Optional.ofNullable(level));
  }

  /** {@code env} with this command line's settings over it, as the configuration loader reads them. */
  Map<String, String> environment(Map<String, String> env) {
    Map<String, String> result = new HashMap<>(env);
    config.ifPresent(path -> result.put("MAGI_CONFIG", path));
    host.ifPresent(value -> result.put("MAGI_HOST", value));
    port.ifPresent(value -> result.put("MAGI_PORT", value));
    return result;
  }

  /** The {@code java.util.logging} level of {@code --log-level}. */
  static java.util.logging.Level julLevel(String level) {
    return switch (level) {
      case "error" -> java.util.logging.Level.SEVERE;
      case "warn" -> java.util.logging.Level.WARNING;
      case "debug" -> java.util.logging.Level.FINE;
      default -> java.util.logging.Level.INFO;
    };
  }

  /** Magi's version, from the build; {@code unknown} when the build did not record it. */
  static String version() {
    try (java.io.InputStream in = CommandLine.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      java.util.Properties properties = new java.util.Properties();
      properties.load(in);
      String version = properties.getProperty("version", "unknown");
      return version.startsWith("${") ? "unknown" : version;
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
