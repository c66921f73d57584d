package dev.magi.gateway.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.magi.router.BackendType;
import dev.magi.router.Endpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import dev.magi.models.ModelSource;
import dev.magi.models.Profile;
import dev.magi.models.ProfileModel;
import dev.magi.registry.LaunchSettings;
import dev.magi.registry.ModelSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns {@code magi.yaml} plus the environment into a {@link MagiConfig}. The environment wins over
 * the file: {@code MAGI_HOST}, {@code MAGI_PORT}, {@code MAGI_API_KEYS} (comma-separated).
 * Runs once at startup, before any event loop exists, so reading the file here blocks nobody.
 */
public final class ConfigLoader {

  /** Largest configuration file read. */
  static final long MAX_FILE_BYTES = 1 << 20;

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private ConfigLoader() {
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
    JsonNode root;
    try {
      root = yaml.isBlank() ? null : YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new ConfigException("", "not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
    }
    ConfigReader top = new ConfigReader(root, "")
        .allowOnly("server", "auth", "limits", "timeouts", "health", "ollama", "backends", "models", "admin",
            "router", "profiles", "retrieval", "config");

    ConfigReader server = top.child("server").allowOnly("host", "port", "event_loops", "access_log_every",
        "idle_gc_after", "header_timeout", "body_timeout", "idle_timeout", "max_connections", "drain_timeout",
        "cors_origins");
    String host = env.getOrDefault("MAGI_HOST", server.string("host", "127.0.0.1")).trim();
    int port = env.containsKey("MAGI_PORT")
        ? parseEnvInt("MAGI_PORT", env.get("MAGI_PORT"), 0, 65535)
        : server.integer("port", 8000, 0, 65535);
    int cores = Runtime.getRuntime().availableProcessors();
    int eventLoops = server.integer("event_loops", cores, 1, 256);
    int accessLogEvery = server.integer("access_log_every", 100, 0, 1_000_000);
    Duration idleGcAfter = server.duration("idle_gc_after", Duration.ofSeconds(10), Duration.ZERO, Duration.ofDays(1));
    if (host.isEmpty()) {
      throw new ConfigException("server.host", "must not be empty");
    }
    Duration hour = Duration.ofHours(1);
    Duration headerTimeout = server.duration("header_timeout", Duration.ofSeconds(10), Duration.ofMillis(100), hour);
    Duration bodyTimeout = server.duration("body_timeout", Duration.ofSeconds(30), Duration.ofMillis(100), hour);
    Duration idleTimeout = server.duration("idle_timeout", Duration.ofSeconds(75), Duration.ofMillis(100), hour);
    int maxConnections = server.integer("max_connections",
        MagiConfig.Server.derivedMaxConnections(openFileLimit()), 1, 10_000_000);
    Duration drainTimeout = server.duration("drain_timeout", Duration.ofSeconds(30), Duration.ZERO, hour);
    List<String> corsOrigins = server.strings("cors_origins");
    for (int i = 0; i < corsOrigins.size(); i++) {
      checkOrigin(server.at("cors_origins") + "[" + i + "]", corsOrigins.get(i));
    }

    ConfigReader auth = top.child("auth").allowOnly("api_keys");
    List<String> apiKeys = new ArrayList<>(auth.strings("api_keys"));
    if (env.get("MAGI_API_KEYS") != null) {
      Arrays.stream(env.get("MAGI_API_KEYS").split(",")).map(String::trim).filter(k -> !k.isEmpty())
          .forEach(apiKeys::add);
    }

    ConfigReader limits = top.child("limits").allowOnly("body_bytes", "json_depth", "max_tokens", "max_choices",
        "embedding_inputs", "upstream_response_bytes");
    MagiConfig.Limits limitValues = new MagiConfig.Limits(
        limits.size("body_bytes", 2L << 20, 1024, 1L << 30),
        limits.integer("json_depth", 64, 4, 1000),
        limits.integer("max_tokens", 1 << 20, 1, Integer.MAX_VALUE),
        limits.integer("max_choices", 16, 1, 128),
        limits.integer("embedding_inputs", 2048, 1, 100_000),
        limits.size("upstream_response_bytes", 256L << 20, 1 << 16, 4L << 30));

    ConfigReader timeouts = top.child("timeouts").allowOnly("connect", "first_token", "between_chunks",
        "non_streaming", "commit_delay", "ping_interval");
    Duration day = Duration.ofDays(1);
    MagiConfig.Timeouts timeoutValues = new MagiConfig.Timeouts(
        timeouts.duration("connect", Duration.ofSeconds(2), Duration.ofMillis(10), Duration.ofMinutes(5)),
        timeouts.duration("first_token", Duration.ofSeconds(120), Duration.ofMillis(10), day),
        timeouts.duration("between_chunks", Duration.ofSeconds(60), Duration.ofMillis(10), day),
        timeouts.duration("non_streaming", Duration.ofSeconds(600), Duration.ofMillis(10), day),
        timeouts.duration("commit_delay", Duration.ofSeconds(10), Duration.ofMillis(10), day),
        timeouts.duration("ping_interval", Duration.ofSeconds(15), Duration.ofMillis(10), day));

    ConfigReader health = top.child("health").allowOnly("interval", "timeout");
    MagiConfig.HealthChecks healthValues = new MagiConfig.HealthChecks(
        health.duration("interval", Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofHours(1)),
        health.duration("timeout", Duration.ofSeconds(2), Duration.ofMillis(10), Duration.ofMinutes(1)));

    ConfigReader ollama = top.child("ollama").allowOnly("refresh");
    Duration refresh = ollama.duration("refresh", Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofDays(1));

    List<BackendSettings> backends = new ArrayList<>();
    for (ConfigReader entry : top.objects("backends")) {
      backends.add(backend(entry));
    }
    ConfigReader router = top.child("router").allowOnly("queue_length", "queue_wait", "policy", "policies");
    String policy = checkPolicy(router.at("policy"), router.string("policy", "least_outstanding"));
    Map<String, String> policies = new java.util.LinkedHashMap<>();
    ConfigReader perModel = router.child("policies");
    for (String model : perModel.keys()) {
      policies.put(model, checkPolicy(perModel.at(model), perModel.string(model, policy)));
    }
    MagiConfig.Routing routing = new MagiConfig.Routing(router.integer("queue_length", 256, 0, 1_000_000),
        router.duration("queue_wait", Duration.ofSeconds(30), Duration.ZERO, Duration.ofHours(1)), policy, policies);
    ConfigReader admin = top.child("admin").allowOnly("token", "allowed_hosts");
    String token = env.getOrDefault("MAGI_ADMIN_TOKEN", admin.string("token", ""));
    List<String> allowedHosts = admin.strings("allowed_hosts").stream()
        .map(h -> h.trim().toLowerCase(java.util.Locale.ROOT)).toList();
    for (int i = 0; i < allowedHosts.size(); i++) {
      if (!allowedHosts.get(i).matches("[a-z0-9.-]{1,253}|\\[[0-9a-f:.]{2,45}\\]")) {
        throw new ConfigException(admin.at("allowed_hosts") + "[" + i + "]", "must be a host name or address "
            + "without a port, got '" + allowedHosts.get(i) + "'");
      }
    }
    return new MagiConfig(new MagiConfig.Server(host, port, eventLoops, accessLogEvery, idleGcAfter, headerTimeout,
        bodyTimeout, idleTimeout, maxConnections, drainTimeout, corsOrigins), apiKeys,
        limitValues, timeoutValues, healthValues, refresh, backends, models(top.child("models"), env),
        new MagiConfig.Admin(token.isBlank() ? Optional.empty() : Optional.of(token.trim()), allowedHosts), routing,
        profiles(top.child("profiles")),
        Optional.ofNullable(env.get("MAGI_PROFILE")).map(String::trim).filter(p -> !p.isEmpty()),
        retrieval(top.child("retrieval"), env), top.child("config").allowOnly("watch").bool("watch", false));
  }

  private static MagiConfig.Retrieval retrieval(ConfigReader retrieval, Map<String, String> env) {
    retrieval.allowOnly("database_url", "password_file", "embedding_model", "chunk_tokens", "overlap_tokens",
        "max_document_bytes");
    String url = env.getOrDefault("DATABASE_URL", retrieval.string("database_url", ""));
    String where = env.containsKey("DATABASE_URL") ? "DATABASE_URL" : retrieval.at("database_url");
    Optional<String> databaseUrl = Optional.empty();
    if (!url.isBlank()) {
      try {
        io.vertx.pgclient.PgConnectOptions.fromUri(url.trim());
      } catch (RuntimeException e) {
        throw new ConfigException(where, "is not a PostgreSQL URL (postgresql://user@host:port/db): " + e.getMessage());
      }
      databaseUrl = Optional.of(url.trim());
    }
    String passwordFile = env.getOrDefault("POSTGRES_PASSWORD_FILE", retrieval.string("password_file", ""));
    Optional<String> password = Optional.empty();
    if (!passwordFile.isBlank()) {
      try {
        password = Optional.of(Files.readString(Path.of(passwordFile.trim())).strip());
      } catch (IOException e) {
        throw new ConfigException(env.containsKey("POSTGRES_PASSWORD_FILE") ? "POSTGRES_PASSWORD_FILE"
            : retrieval.at("password_file"), "cannot be read: " + e.getMessage());
      }
    }
    int chunk = retrieval.integer("chunk_tokens", 800, 100, 4096);
    int overlap = retrieval.integer("overlap_tokens", 400, 0, 2048);
    if (overlap > chunk / 2) {
      throw new ConfigException(retrieval.at("overlap_tokens"), "must be at most half of chunk_tokens (" + chunk + ")");
    }
    return new MagiConfig.Retrieval(databaseUrl, password, retrieval.string("embedding_model", "nomic-embed-text"),
        chunk, overlap, retrieval.size("max_document_bytes", 8L << 20, 1024, 512L << 20));
  }

  private static Map<String, Profile> profiles(ConfigReader profiles) {
    Map<String, Profile> result = new java.util.LinkedHashMap<>();
    for (String name : profiles.keys()) {
      checkModelName(profiles.at(name), name);
      ConfigReader profile = profiles.child(name).allowOnly("description", "memory_budget", "models");
      List<ProfileModel> models = new ArrayList<>();
      for (ConfigReader entry : profile.objects("models")) {
        entry.allowOnly("model", "backend", "replicas", "context", "parallel", "gpu_layers", "args", "on_demand",
            "ttl");
        String model = entry.requiredString("model");
        checkModelName(entry.at("model"), model);
        String sourceName = entry.string("backend", "local");
        ModelSource source = ModelSource.byConfigName(sourceName).orElseThrow(() ->
            new ConfigException(entry.at("backend"), "must be local, ollama or remote, got " + sourceName));
        models.add(new ProfileModel(model, source, entry.integer("replicas", 1, 1, 64),
            optionalInt(entry, "context", 16, 1 << 24), optionalInt(entry, "parallel", 1, 256),
            optionalInt(entry, "gpu_layers", -1, 100_000),
            entry.has("args") ? Optional.of(entry.strings("args")) : Optional.empty(),
            entry.bool("on_demand", false),
            entry.duration("ttl", Duration.ofMinutes(10), Duration.ofSeconds(1), Duration.ofDays(7))));
      }
      result.put(name, new Profile(name, profile.string("description", ""),
          profile.size("memory_budget", 0, 0, 1L << 50), models));
    }
    return result;
  }

  private static java.util.OptionalInt optionalInt(ConfigReader entry, String key, int min, int max) {
    return entry.has(key) ? java.util.OptionalInt.of(entry.integer(key, 0, min, max)) : java.util.OptionalInt.empty();
  }

  private static MagiConfig.Models models(ConfigReader models, Map<String, String> env) {
    models.allowOnly("dir", "registry", "llama_server", "port_range_start", "port_range_end", "max_startup_time",
        "concurrent_starts", "drain_timeout", "stop_grace", "logs", "data", "defaults", "settings", "load_on_request",
        "memory_budget", "max_swap_wait");
    Path dir = Path.of(env.getOrDefault("MODEL_SCAN_PATH", models.string("dir", "models")));
    Path data = Path.of(models.string("data", "data"));
    Path registry = Path.of(env.getOrDefault("REGISTRY_PATH",
        models.string("registry", data.resolve("model_registry.json").toString())));
    String binary = env.getOrDefault("LLAMA_SERVER_PATH", models.string("llama_server", "llama-server"));
    int first = env.containsKey("MODEL_PORT_RANGE_START")
        ? parseEnvInt("MODEL_PORT_RANGE_START", env.get("MODEL_PORT_RANGE_START"), 1, 65535)
        : models.integer("port_range_start", 8080, 1, 65535);
    int last = env.containsKey("MODEL_PORT_RANGE_END")
        ? parseEnvInt("MODEL_PORT_RANGE_END", env.get("MODEL_PORT_RANGE_END"), 1, 65535)
        : models.integer("port_range_end", 8099, 1, 65535);
    if (last < first) {
      throw new ConfigException(models.at("port_range_end"), "must not be below port_range_start (" + first + ")");
    }
    Duration startup = env.containsKey("MODEL_MAX_STARTUP_TIME")
        ? Duration.ofSeconds(parseEnvInt("MODEL_MAX_STARTUP_TIME", env.get("MODEL_MAX_STARTUP_TIME"), 1, 86400))
        : models.duration("max_startup_time", Duration.ofSeconds(120), Duration.ofSeconds(1), Duration.ofDays(1));
    int concurrent = models.integer("concurrent_starts", 2, 1, 64);
    String concurrentEnv = env.get("MODEL_CONCURRENT_STARTS");
    if (concurrentEnv != null) {
      switch (concurrentEnv.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "false", "0", "no" -> concurrent = 1;
        case "true", "1", "yes" -> concurrent = Math.max(concurrent, 2);
        default -> concurrent = parseEnvInt("MODEL_CONCURRENT_STARTS", concurrentEnv, 1, 64);
      }
    }
    LaunchSettings defaults = launch(models.child("defaults").allowOnly("context", "parallel", "gpu_layers", "args",
        "env"),
        LaunchSettings.DEFAULTS);
    Map<String, ModelSettings> settings = new java.util.LinkedHashMap<>();
    java.util.Set<String> pinned = new java.util.TreeSet<>();
    java.util.Set<String> preload = new java.util.TreeSet<>();
    ConfigReader perFile = models.child("settings");
    for (String stem : perFile.keys()) {
      ConfigReader entry = perFile.child(stem);
      entry.allowOnly("id", "aliases", "context", "parallel", "gpu_layers", "args", "env", "pinned", "preload");
      Optional<String> id = Optional.ofNullable(entry.string("id", null)).map(String::trim).filter(v -> !v.isEmpty());
      id.ifPresent(v -> checkModelName(entry.at("id"), v));
      List<String> aliases = entry.strings("aliases");
      for (int i = 0; i < aliases.size(); i++) {
        checkModelName(entry.at("aliases") + "[" + i + "]", aliases.get(i));
      }
      settings.put(stem, new ModelSettings(id, aliases, launch(entry, defaults), entry.has("context")));
      if (entry.bool("pinned", false)) {
        pinned.add(id.orElse(stem));
      }
      if (entry.bool("preload", false)) {
        preload.add(id.orElse(stem));
      }
    }
    return new MagiConfig.Models(dir, registry, binary, first, last, startup, concurrent,
        models.duration("drain_timeout", Duration.ofSeconds(30), Duration.ZERO, Duration.ofHours(1)),
        models.duration("stop_grace", Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMinutes(10)),
        Path.of(models.string("logs", "logs")), data, defaults, settings, models.bool("load_on_request", true),
        models.size("memory_budget", 0, 0, 1L << 50), pinned, preload,
        models.duration("max_swap_wait", Duration.ofSeconds(30), Duration.ZERO, Duration.ofHours(1)));
  }

  /**
   * Launch settings from {@code context}, {@code parallel}, {@code gpu_layers}, {@code args} and
   * {@code env}, else the fallback's ({@code env} adds to the fallback's variables).
   */
  static LaunchSettings launch(ConfigReader entry, LaunchSettings fallback) {
    List<String> args = entry.has("args") ? entry.strings("args") : fallback.args();
    Map<String, String> env = new java.util.TreeMap<>(fallback.env());
    ConfigReader vars = entry.child("env");
    for (String name : vars.keys()) {
      if (!name.matches("[A-Za-z_][A-Za-z0-9_]{0,127}")) {
        throw new ConfigException(vars.at(name), "is not an environment variable name");
      }
      env.put(name, vars.string(name, ""));
    }
    return new LaunchSettings(entry.integer("context", fallback.context(), 16, 1 << 24),
        entry.integer("parallel", fallback.parallel(), 1, 256),
        entry.integer("gpu_layers", fallback.gpuLayers(), -1, 100_000), args, env);
  }

  private static BackendSettings backend(ConfigReader entry) {
    entry.allowOnly("model", "url", "type", "aliases", "api_key", "upstream_model", "slots");
    String typeName = entry.string("type", "llama-server");
    BackendType type = BackendType.byConfigName(typeName).orElseThrow(() ->
        new ConfigException(entry.at("type"), "must be llama-server, openai or ollama, got " + typeName));
    Optional<String> model = Optional.ofNullable(entry.string("model", null)).map(String::trim)
        .filter(m -> !m.isEmpty());
    if (model.isEmpty() && type != BackendType.OLLAMA) {
      throw new ConfigException(entry.at("model"), "is required for a " + typeName + " backend");
    }
    model.ifPresent(m -> checkModelName(entry.at("model"), m));
    List<String> aliases = entry.strings("aliases");
    for (int i = 0; i < aliases.size(); i++) {
      checkModelName(entry.at("aliases") + "[" + i + "]", aliases.get(i));
    }
    if (!aliases.isEmpty() && model.isEmpty()) {
      throw new ConfigException(entry.at("aliases"), "needs a model to be an alias of");
    }
    String apiKey = entry.string("api_key", null);
    Endpoint endpoint;
    try {
      endpoint = Endpoint.of(type, entry.requiredString("url"), apiKey == null || apiKey.isBlank() ? null : apiKey);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(entry.at("url"), e.getMessage());
    }
    Optional<String> upstreamModel = Optional.ofNullable(entry.string("upstream_model", null))
        .filter(m -> !m.isBlank());
    return new BackendSettings(model, endpoint, aliases, upstreamModel, entry.integer("slots", 0, 0, 100_000));
  }

  private static String checkPolicy(String path, String name) {
    if (dev.magi.router.LoadBalancer.named(name, new java.util.Random()).isEmpty()) {
      throw new ConfigException(path, "must be least_outstanding, round_robin or p2c, got " + name);
    }
    return name;
  }

  /** Model ids appear in URLs and logs: printable, no spaces, at most 256 characters. */
  static void checkModelName(String path, String name) {
    if (name.length() > 256 || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new ConfigException(path, "must be 1-256 printable ASCII characters without spaces, got '" + name + "'");
    }
  }

  /**
   * The keys each mapping accepts while {@code yaml} is loaded, by the mapping's path ({@code ""} for
   * the top level, {@code backends[0]}, {@code profiles.dev.models[1]}, ...).
   *
   * @throws ConfigException when {@code yaml} is invalid
   */
  static Map<String, java.util.Set<String>> keysAccepted(String yaml) {
    Map<String, java.util.Set<String>> schema = new java.util.TreeMap<>();
    ConfigReader.SCHEMA.set(schema);
    try {
      fromYaml(yaml, Map.of());
      return schema;
    } finally {
      ConfigReader.SCHEMA.remove();
    }
  }

  /** This process's limit on open files, or 1024 where it cannot be read. */
  static long openFileLimit() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return 1024;
  }

  /** An origin is {@code *} or {@code scheme://host[:port]}, with nothing after it. */
  static void checkOrigin(String path, String origin) {
    if (origin.equals("*")) {
      return;
    }
    try {
      java.net.URI uri = new java.net.URI(origin);
      boolean bare = (uri.getPath() == null || uri.getPath().isEmpty()) && uri.getQuery() == null
          && uri.getFragment() == null && uri.getUserInfo() == null;
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null && bare) {
        return;
      }
    } catch (java.net.URISyntaxException e) {
      // reported below
    }
    throw new ConfigException(path, "must be * or an origin such as https://app.example.com, got '" + origin + "'");
  }

  private static int parseEnvInt(String name, String value, int min, int max) {
    try {
      return ConfigReader.checkRange(name, Integer.parseInt(value.trim()), min, max);
    } catch (NumberFormatException e) {
      throw new ConfigException(name, "must be a whole number, got '" + value + "'");
    }
  }
}
