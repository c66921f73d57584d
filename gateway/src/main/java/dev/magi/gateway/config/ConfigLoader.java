package dev.magi.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns {@code magi.yaml} plus the environment into a {@link MagiConfig}. The environment wins over
 * the file ({@link #OVERRIDES}); a bad value there is blamed on the variable, not the key.
 * Runs at startup, before any event loop exists, and on reload off the event loops, so reading the
 * file here blocks nobody.
 */
public final class ConfigLoader {

  /** Largest configuration file read. */
  static final long MAX_FILE_BYTES = 1 << 20;

  /** Environment variables that replace a key of the file (the seed's names among them), and the key. */
  static final Map<String, String> OVERRIDES = Map.ofEntries(
      Map.entry("MAGI_HOST", "server.host"),
      Map.entry("MAGI_PORT", "server.port"),
      Map.entry("MAGI_ADMIN_TOKEN", "admin.token"),
      Map.entry("MAGI_METRICS_TOKEN", "metrics.token"),
      Map.entry("MAGI_LOG_FORMAT", "log.format"),
      Map.entry("OTEL_EXPORTER_OTLP_ENDPOINT", "tracing.otlp_endpoint"),
      Map.entry("OTEL_SERVICE_NAME", "tracing.service_name"),
      Map.entry("REDIS_URL", "cluster.redis_url"),
      Map.entry("MAGI_CLUSTER_SECRET", "cluster.secret"),
      Map.entry("DATABASE_URL", "retrieval.database_url"),
      Map.entry("MAGI_RETRIEVAL_STORE", "retrieval.store"),
      Map.entry("POSTGRES_PASSWORD_FILE", "retrieval.password_file"),
      Map.entry("MODEL_SCAN_PATH", "models.dir"),
      Map.entry("REGISTRY_PATH", "models.registry"),
      Map.entry("LLAMA_SERVER_PATH", "models.llama_server"),
      Map.entry("MODEL_PORT_RANGE_START", "models.port_range_start"),
      Map.entry("MODEL_PORT_RANGE_END", "models.port_range_end"),
      Map.entry("MODEL_MAX_STARTUP_TIME", "models.max_startup_time"),
      Map.entry("MODEL_CONCURRENT_STARTS", "models.concurrent_starts"));

  private ConfigLoader() {
  }

  /** Every environment variable the configuration reads. */
  public static java.util.Set<String> environmentVariables() {
    java.util.Set<String> names = new java.util.TreeSet<>(OVERRIDES.keySet());
    names.addAll(List.of("MAGI_CONFIG", "MAGI_API_KEYS", "MAGI_PROFILE"));
    return names;
  }

  /**
   * Loads the file named by {@code --config PATH} in {@code args}, else by {@code MAGI_CONFIG}, else
   * {@code magi.yaml} in the working directory when it exists, else only the defaults.
   *
   * @throws ConfigException when the file is missing (when named), unreadable or invalid
   */
  public static MagiConfig load(List<String> args, Map<String, String> env) {
    Optional<Path> file = file(args, env);
    return file.isPresent() ? fromYaml(read(file.get()), env) : fromYaml("", env);
  }

  /**
   * The file {@link #load} reads: {@code --config PATH} in {@code args}, else {@code MAGI_CONFIG},
   * else {@code magi.yaml} in the working directory when it exists; empty when only the defaults apply.
   *
   * @throws ConfigException when {@code --config} has no path
   */
  public static Optional<Path> file(List<String> args, Map<String, String> env) {
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--config")) {
        if (i + 1 >= args.size()) {
          throw new ConfigException("--config", "needs a file path");
        }
        return Optional.of(Path.of(args.get(i + 1)));
      } else if (arg.startsWith("--config=")) {
        return Optional.of(Path.of(arg.substring("--config=".length())));
      }
    }
    if (env.get("MAGI_CONFIG") != null && !env.get("MAGI_CONFIG").isBlank()) {
      return Optional.of(Path.of(env.get("MAGI_CONFIG")));
    }
    Path local = Path.of("magi.yaml");
    return Files.isRegularFile(local) ? Optional.of(local) : Optional.empty();
  }

  private static String read(Path file) {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new ConfigException(file.toString(), "is larger than " + MAX_FILE_BYTES + " bytes");
      }
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file.toString(), "no such file");
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "cannot be read: " + e.getMessage());
    }
  }

  /**
   * Parses YAML text (empty text means "all defaults") and applies the environment.
   *
   * @throws ConfigException naming the field path of the first problem
   */
  public static MagiConfig fromYaml(String yaml, Map<String, String> env) {
    JsonNode tree = ConfigBinding.parse(yaml);
    Map<String, String> renamed = new HashMap<>();
    if (tree == null || tree.isObject()) {
      ObjectNode root = tree == null ? JsonNodeFactory.instance.objectNode() : (ObjectNode) tree;
      applyEnvironment(root, env, renamed);
      tree = root;
    }
    return ConfigBinding.bind(tree, renamed)
        .withStartupProfile(Optional.ofNullable(env.get("MAGI_PROFILE")).map(String::trim).filter(p -> !p.isEmpty()));
  }

  /**
   * Writes the environment's values over the file's, and notes in {@code renamed} which variable a
   * problem with each such key is to be blamed on.
   */
  private static void applyEnvironment(ObjectNode root, Map<String, String> env, Map<String, String> renamed) {
    OVERRIDES.forEach((variable, path) -> {
      String value = env.get(variable);
      if (value != null) {
        put(root, path, variable.equals("MODEL_CONCURRENT_STARTS") ? concurrentStarts(root, value) : value.trim());
        renamed.put(path, variable);
      }
    });
    String keys = env.get("MAGI_API_KEYS");
    if (keys != null) {
      ObjectNode auth = section(root, "auth");
      JsonNode fromFile = auth == null ? null : auth.get("api_keys");
      if (auth == null || fromFile != null && !fromFile.isNull() && !fromFile.isArray()) {
        return; // the file's own mistake is reported by the binding
      }
      ArrayNode all = fromFile != null && fromFile.isArray() ? (ArrayNode) fromFile : auth.putArray("api_keys");
      Arrays.stream(keys.split(",")).map(String::trim).filter(k -> !k.isEmpty()).forEach(all::add);
    }
  }

  /**
   * The seed's {@code MODEL_CONCURRENT_STARTS}: {@code false} loads one server at a time, {@code true}
   * at least two at once, a number that many.
   */
  private static String concurrentStarts(ObjectNode root, String value) {
    String text = value.trim().toLowerCase(Locale.ROOT);
    if (Set.of("false", "0", "no").contains(text)) {
      return "1";
    }
    if (Set.of("true", "1", "yes").contains(text)) {
      ObjectNode models = section(root, "models");
      JsonNode fromFile = models == null ? null : models.get("concurrent_starts");
      return String.valueOf(Math.max(2, fromFile != null && fromFile.canConvertToInt() ? fromFile.asInt() : 2));
    }
    return text;
  }

  private static void put(ObjectNode root, String path, String value) {
    int dot = path.indexOf('.');
    ObjectNode section = section(root, path.substring(0, dot));
    if (section != null) {
      section.put(path.substring(dot + 1), value);
    }
  }

  /**
   * The mapping {@code name} of {@code root}, made when absent or null; null when the file has
   * something else there (which the binding then reports).
   */
  private static ObjectNode section(ObjectNode root, String name) {
    JsonNode node = root.get(name);
    if (node instanceof ObjectNode object) {
      return object;
    }
    return node == null || node.isNull() ? root.putObject(name) : null;
  }

  /**
   * Every key {@code magi.yaml} accepts, by the path of its mapping ({@code ""} for the top level,
   * {@code backends[]}, {@code profiles.<*>.models[]}, {@code models.settings.<*>}, ...).
   */
  static Map<String, Set<String>> keysAccepted() {
    return ConfigBinding.keys();
  }
}
