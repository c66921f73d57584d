package dev.magi.gateway.config;

import static dev.magi.gateway.config.ConfigValues.between;
import static dev.magi.gateway.config.ConfigValues.bytesBetween;
import static dev.magi.gateway.config.ConfigValues.list;
import static dev.magi.gateway.config.ConfigValues.map;
import static dev.magi.gateway.config.ConfigValues.or;
import static dev.magi.gateway.config.ConfigValues.text;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.magi.models.Profile;
import dev.magi.registry.LaunchSettings;
import dev.magi.registry.ModelSettings;
import dev.magi.retrieval.RetrievalService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The whole configuration of one gateway, immutable. {@code magi.yaml} is bound to these records by
 * {@link ConfigBinding}: each record's {@code bind} factory names the keys of its mapping (any other
 * key is refused) and fills in the defaults; its constructor checks the values. Every key has a
 * default, so {@link #defaults()} is a working configuration with no backends.
 *
 * @param server where to listen
 * @param apiKeys keys accepted on {@code /v1/}; empty means the API is open
 * @param clientKeys keys with a name, the models they may use and their limits ({@code auth.keys})
 * @param limitsFailOpen whether keys' limits count on this node alone while Redis is away
 *     ({@code auth.limits_fail: open}), rather than refusing their requests
 * @param limits bounds on what a client may send
 * @param timeouts bounds on how long upstream exchanges may take
 * @param health active health checking
 * @param ollamaRefresh how often Ollama endpoints are asked for their models
 * @param backends statically declared backends
 * @param models local GGUF models and their llama-server processes
 * @param admin who may use the admin API
 * @param routing how requests wait for and are spread over backends
 * @param profiles named sets of models, by name
 * @param startupProfile the profile to activate at startup ({@code MAGI_PROFILE}); else the last active one
 * @param retrieval vector stores and retrieval in chat
 * @param watchFile whether a change to the configuration file is picked up by itself ({@code config.watch})
 * @param metrics the Prometheus endpoint
 * @param log how log lines are written
 * @param tracing where spans go
 * @param cluster how this node joins others through Redis
 * @param responses the Responses API's stored responses
 * @param ollamaApi Ollama's own API on a port of its own
 * @param console what the operator's views keep
 */
public record MagiConfig(Server server, List<String> apiKeys, List<ClientKey> clientKeys, boolean limitsFailOpen,
    Limits limits, Timeouts timeouts, HealthChecks health,
    Duration ollamaRefresh, List<BackendSettings> backends, Models models, Admin admin,
    Routing routing, Map<String, Profile> profiles, Optional<String> startupProfile, Retrieval retrieval,
    boolean watchFile, Metrics metrics, Log log, Tracing tracing, Cluster cluster, Responses responses,
    OllamaApi ollamaApi, Console console) {

  /** Copies the lists and checks that no model name is claimed twice by aliases. */
  public MagiConfig {
    profiles = map(profiles);
    apiKeys = List.copyOf(apiKeys);
    clientKeys = List.copyOf(clientKeys);
    backends = List.copyOf(backends);
    Set<String> ids = new HashSet<>();
    backends.forEach(b -> b.model().ifPresent(ids::add));
    for (int i = 0; i < backends.size(); i++) {
      for (String alias : backends.get(i).aliases()) {
        if (ids.contains(alias)) {
          throw new ConfigException("backends[" + i + "].aliases", "'" + alias + "' is already a model id");
        }
      }
    }
  }

  /** The top level of {@code magi.yaml}; every mapping is present (the binding gives absent ones as empty). */
  @JsonCreator
  static MagiConfig bind(@JsonProperty("server") Server server, @JsonProperty("auth") Auth auth,
      @JsonProperty("limits") Limits limits, @JsonProperty("timeouts") Timeouts timeouts,
      @JsonProperty("health") HealthChecks health, @JsonProperty("ollama") Ollama ollama,
      @JsonProperty("backends") List<BackendSettings> backends, @JsonProperty("models") Models models,
      @JsonProperty("admin") Admin admin, @JsonProperty("router") Routing router,
      @JsonProperty("profiles") Map<String, ProfileSettings> profiles, @JsonProperty("retrieval") Retrieval retrieval,
      @JsonProperty("config") Reload config, @JsonProperty("metrics") Metrics metrics, @JsonProperty("log") Log log,
      @JsonProperty("tracing") Tracing tracing, @JsonProperty("cluster") Cluster cluster,
      @JsonProperty("responses") Responses responses, @JsonProperty("ollama_api") OllamaApi ollamaApi,
      @JsonProperty("console") Console console) {
    Map<String, Profile> byName = new LinkedHashMap<>();
    map(profiles).forEach((name, profile) -> byName.put(ConfigValues.modelName("profiles." + name, name),
        profile.toProfile(name)));
    return new MagiConfig(server, auth.apiKeys(), auth.keys(), auth.limitsFail().equals("open"), limits, timeouts,
        health, ollama.refresh(), list(backends), models,
        admin, router, byName, Optional.empty(), retrieval, config.watch(), metrics, log, tracing, cluster, responses,
        ollamaApi, console);
  }

  /** This configuration with {@code profile} to activate at startup. */
  MagiConfig withStartupProfile(Optional<String> profile) {
    return new MagiConfig(server, apiKeys, clientKeys, limitsFailOpen, limits, timeouts, health, ollamaRefresh,
        backends, models, admin, routing,
        profiles, profile, retrieval, watchFile, metrics, log, tracing, cluster, responses, ollamaApi, console);
  }

  /** The token {@code /api/} requires; empty means loopback clients only. */
  public Optional<String> adminToken() {
    return admin.token();
  }

  /** The configuration used when there is no file and no environment: nothing to route to yet. */
  public static MagiConfig defaults() {
    return ConfigLoader.fromYaml("", Map.of());
  }

  /** {@code auth:}, whose keys {@link MagiConfig} carries at its top. */
  record Auth(@JsonProperty("api_keys") List<String> apiKeys, @JsonProperty("keys") List<ClientKey> keys,
      @JsonProperty("limits_fail") String limitsFail) {

    /** Checks and trims the keys. */
    Auth {
      apiKeys = ConfigValues.nonBlank("api_keys", apiKeys);
      keys = keys == null ? List.of() : List.copyOf(keys);
      Set<String> names = new HashSet<>();
      for (int i = 0; i < keys.size(); i++) {
        if (!names.add(keys.get(i).name())) {
          throw new ConfigException("keys[" + i + "].name", "'" + keys.get(i).name() + "' names two keys");
        }
      }
      limitsFail = or(limitsFail, "open");
      if (!limitsFail.equals("open") && !limitsFail.equals("closed")) {
        throw new ConfigException("limits_fail", "must be open or closed, got '" + limitsFail + "'");
      }
    }
  }

  /**
   * A client's key with a name and limits ({@code auth.keys}): kept as its SHA-256 only.
   *
   * @param name what logs, metrics and {@code GET /api/keys} call it (never the key itself)
   * @param sha256 the key's SHA-256
   * @param models the models it may use (ids or aliases); empty: every model
   * @param rpm requests a minute, over the whole cluster; 0: no limit
   * @param tpm tokens (prompt and completion) a minute, over the whole cluster; 0: no limit
   */
  public record ClientKey(String name, byte[] sha256, List<String> models, int rpm, long tpm) {

    /** Checks the name and the bounds. */
    public ClientKey {
      if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new ConfigException("name", "must be 1-64 letters, digits, '.', '_' or '-', got '" + name + "'");
      }
      models = models == null ? List.of() : List.copyOf(models);
      if (rpm < 0 || tpm < 0) {
        throw new ConfigException("rpm", "rpm and tpm must be 0 (no limit) or more");
      }
    }

    @JsonCreator
    static ClientKey bind(@JsonProperty("name") String name, @JsonProperty("key") String key,
        @JsonProperty("key_sha256") String keySha256, @JsonProperty("models") List<String> models,
        @JsonProperty("rpm") Integer rpm, @JsonProperty("tpm") Long tpm) {
      Optional<String> plain = text(key);
      Optional<String> digest = text(keySha256);
      if (plain.isPresent() == digest.isPresent()) {
        throw new ConfigException("key", "give the key as key or as key_sha256 (64 hex digits), one of them");
      }
      byte[] sha256;
      if (plain.isPresent()) {
        try {
          sha256 = java.security.MessageDigest.getInstance("SHA-256").digest(plain.get()
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
          throw new IllegalStateException(e);
        }
      } else {
        if (!digest.get().matches("[0-9a-fA-F]{64}")) {
          throw new ConfigException("key_sha256", "must be 64 hex digits (sha256sum of the key)");
        }
        sha256 = java.util.HexFormat.of().parseHex(digest.get().toLowerCase(java.util.Locale.ROOT));
      }
      return new ClientKey(name, sha256, ConfigValues.nonBlank("models", models), or(rpm, 0), or(tpm, 0L));
    }
  }

  /** {@code ollama:}. */
  record Ollama(@JsonProperty("refresh") Duration refresh) {

    /** Fills in the default (30 s) and checks bounds. */
    Ollama {
      refresh = between("refresh", or(refresh, Duration.ofSeconds(30)), Duration.ofMillis(100), Duration.ofDays(1));
    }
  }

  /**
   * The Prometheus endpoint.
   *
   * @param enabled whether requests are measured and {@code path} answers; default true
   * @param path where the metrics are served, default {@code /metrics}
   * @param token the token a scraper must present as {@code Authorization: Bearer} ({@code MAGI_METRICS_TOKEN});
   *     when empty, the admin token is required if one is set, else the scraper must be on loopback or in
   *     {@code allowedFrom}
   * @param allowedFrom networks (CIDR, or single addresses) scrapers may connect from without a token
   */
  public record Metrics(boolean enabled, String path, Optional<String> token, List<Cidr> allowedFrom) {

    /** Checks the path and copies the list. */
    public Metrics {
      if (!path.matches("/[A-Za-z0-9._~/-]{0,200}") || path.startsWith("/v1/") || path.startsWith("/api/")
          || path.equals("/healthz") || path.equals("/readyz")) {
        throw new ConfigException("path", "must be a plain absolute path outside /v1/ and /api/ (such as /metrics), got '"
            + path + "'");
      }
      allowedFrom = List.copyOf(allowedFrom);
    }

    @JsonCreator
    static Metrics bind(@JsonProperty("enabled") Boolean enabled, @JsonProperty("path") String path,
        @JsonProperty("token") String token, @JsonProperty("allowed_from") List<String> allowedFrom) {
      List<String> networks = ConfigValues.nonBlank("allowed_from", allowedFrom);
      List<Cidr> parsed = new java.util.ArrayList<>();
      for (int i = 0; i < networks.size(); i++) {
        parsed.add(Cidr.parse("allowed_from[" + i + "]", networks.get(i)));
      }
      return new Metrics(or(enabled, true), or(path, "/metrics"), text(token), parsed);
    }
  }

  /**
   * How log lines are written (to stderr).
   *
   * @param json one JSON object per line ({@code format: json}) instead of text ({@code format: text},
   *     the default)
   */
  public record Log(boolean json) {

    @JsonCreator
    static Log bind(@JsonProperty("format") String format) {
      String value = or(format, "text").trim().toLowerCase(java.util.Locale.ROOT);
      if (!value.equals("text") && !value.equals("json")) {
        throw new ConfigException("format", "must be text or json, got '" + format + "'");
      }
      return new Log(value.equals("json"));
    }
  }

  /**
   * The operator's console and what its views keep.
   *
   * @param enabled whether the console is served at {@code /ui/} (default true)
   * @param captureBodies whether the last requests keep their bodies, bounded and with secrets redacted
   *     (default false: prompts are private)
   * @param recentRequests how many of the last requests to models {@code GET /api/requests} keeps
   *     (default 200; 0 keeps none)
   */
  public record Console(@JsonProperty("enabled") Boolean enabled,
      @JsonProperty("recent_requests") Integer recentRequests,
      @JsonProperty("capture_bodies") Boolean captureBodies) {

    /** Fills in the defaults and checks bounds. */
    public Console {
      enabled = or(enabled, true);
      captureBodies = or(captureBodies, false);
      recentRequests = or(recentRequests, 200);
      if (recentRequests < 0 || recentRequests > 100_000) {
        throw new ConfigException("recent_requests", "must be between 0 and 100000, got " + recentRequests);
      }
    }
  }

  /**
   * Ollama's own API ({@code /api/chat}, {@code /api/tags}, ...) on a port of its own, for tools that
   * speak only Ollama; it is also served under {@code /ollama/api/} on the main port.
   *
   * @param port where it listens, on {@code server.host}; 0 (the default) serves it on no port of its own
   */
  public record OllamaApi(@JsonProperty("port") Integer port) {

    /** Fills in the default and checks bounds. */
    public OllamaApi {
      port = or(port, 0);
      if (port < 0 || port > 65535) {
        throw new ConfigException("port", "must be between 0 (off) and 65535, got " + port);
      }
    }
  }

  /**
   * The Responses API's stored responses ({@code previous_response_id}, {@code GET /v1/responses/{id}}).
   *
   * @param storeLimit most responses kept in memory, the least recently used going first; default 1,000
   */
  public record Responses(@JsonProperty("store_limit") Integer storeLimit) {

    /** Fills in the default and checks bounds. */
    public Responses {
      storeLimit = or(storeLimit, 1000);
      if (storeLimit < 0 || storeLimit > 1_000_000) {
        throw new ConfigException("store_limit", "must be between 0 and 1000000, got " + storeLimit);
      }
    }
  }

  /**
   * Tracing: spans of each request to a model, exported over OTLP/HTTP.
   *
   * @param otlpEndpoint the collector's OTLP/HTTP address ({@code http://collector:4318}; spans go to
   *     its {@code /v1/traces}); empty: no spans are made or exported, and a client's trace context is
   *     still carried to the backends
   * @param serviceName the {@code service.name} of Magi's spans
   * @param sampleRatio the share of new traces recorded (0 to 1); a client's sampled flag is followed
   */
  public record Tracing(Optional<java.net.URI> otlpEndpoint, String serviceName, double sampleRatio) {

    /** Checks the ratio and the name. */
    public Tracing {
      if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
        throw new ConfigException("sample_ratio", "must be between 0 and 1, got " + sampleRatio);
      }
      if (serviceName.isBlank()) {
        throw new ConfigException("service_name", "must not be empty");
      }
    }

    @JsonCreator
    static Tracing bind(@JsonProperty("otlp_endpoint") String endpoint, @JsonProperty("service_name") String name,
        @JsonProperty("sample_ratio") Double ratio) {
      Optional<java.net.URI> uri = text(endpoint).map(value -> {
        try {
          java.net.URI parsed = new java.net.URI(value.trim());
          if (!("http".equals(parsed.getScheme()) || "https".equals(parsed.getScheme())) || parsed.getHost() == null) {
            throw new ConfigException("otlp_endpoint", "must be an http:// or https:// address, got '" + value + "'");
          }
          return parsed;
        } catch (java.net.URISyntaxException e) {
          throw new ConfigException("otlp_endpoint", "is not a URL: '" + value + "'");
        }
      });
      return new Tracing(uri, or(name, "magi").trim(), or(ratio, 1.0));
    }
  }

  /**
   * Several Magi nodes as one, through Redis. Off unless {@code redisUrl} is set.
   *
   * @param redisUrl the Redis the nodes share ({@code REDIS_URL}; {@code redis://}, or {@code rediss://}
   *     for TLS, a password as {@code redis://:password@host:6379})
   * @param nodeId this node's name in the cluster; empty: the host name and port
   * @param advertiseUrl how the other nodes reach this one; empty: {@code http://<host>:<port>}
   * @param heartbeat how often this node writes its record and reads the others'
   * @param ttl how long a record outlives its last heartbeat (at least two heartbeats)
   * @param secret what nodes present to each other for forwarded requests ({@code MAGI_CLUSTER_SECRET});
   *     empty: the nodes see each other but forward nothing
   */
  public record Cluster(Optional<String> redisUrl, Optional<String> nodeId, Optional<String> advertiseUrl,
      Duration heartbeat, Duration ttl, Optional<String> secret) {

    /** Checks the address, the name and the times. */
    public Cluster {
      redisUrl.ifPresent(url -> {
        if (!url.matches("rediss?://[^\\s]+")) {
          throw new ConfigException("redis_url", "must be a redis:// or rediss:// address");
        }
      });
      nodeId.ifPresent(id -> {
        if (!id.matches("[A-Za-z0-9._:-]{1,100}")) {
          throw new ConfigException("node_id", "must be 1 to 100 letters, digits and . _ : -, got '" + id + "'");
        }
      });
      advertiseUrl.ifPresent(url -> {
        if (!url.matches("https?://[^\\s/]+(/[^\\s]*)?")) {
          throw new ConfigException("advertise_url", "must be an http:// or https:// address, got '" + url + "'");
        }
      });
      between("heartbeat", heartbeat, Duration.ofMillis(100), Duration.ofMinutes(1));
      between("ttl", ttl, heartbeat.multipliedBy(2), Duration.ofMinutes(10));
      secret.ifPresent(value -> {
        if (value.length() < 16 || !dev.magi.router.Endpoint.isVisibleAscii(value)) {
          throw new ConfigException("secret", "must be at least 16 printable ASCII characters without spaces");
        }
      });
    }

    @JsonCreator
    static Cluster bind(@JsonProperty("redis_url") String redisUrl, @JsonProperty("node_id") String nodeId,
        @JsonProperty("advertise_url") String advertiseUrl, @JsonProperty("heartbeat") Duration heartbeat,
        @JsonProperty("ttl") Duration ttl, @JsonProperty("secret") String secret) {
      Duration beat = or(heartbeat, Duration.ofSeconds(2));
      return new Cluster(text(redisUrl).map(String::trim), text(nodeId).map(String::trim),
          text(advertiseUrl).map(String::trim), beat, or(ttl, Duration.ofSeconds(10)), text(secret).map(String::trim));
    }
  }

  /** {@code config:}: how the file itself is treated. */
  record Reload(@JsonProperty("watch") boolean watch) {
  }

  /**
   * Who may use the admin API.
   *
   * @param token the token {@code /api/} requires ({@code MAGI_ADMIN_TOKEN}); empty means loopback clients
   *     only, and only requests addressed to a loopback name (or one of {@code allowedHosts}) from no
   *     other web origin
   * @param allowedHosts host names, besides loopback ones, that requests may be addressed to when there
   *     is no token (a name this machine is reached by through a local reverse proxy, say)
   */
  public record Admin(Optional<String> token, List<String> allowedHosts) {

    /** Checks and copies the host names. */
    public Admin {
      allowedHosts = List.copyOf(allowedHosts);
      for (int i = 0; i < allowedHosts.size(); i++) {
        if (!allowedHosts.get(i).matches("[a-z0-9.-]{1,253}|\\[[0-9a-f:.]{2,45}\\]")) {
          throw new ConfigException("allowed_hosts[" + i + "]", "must be a host name or address without a port, got '"
              + allowedHosts.get(i) + "'");
        }
      }
    }

    @JsonCreator
    static Admin bind(@JsonProperty("token") String token, @JsonProperty("allowed_hosts") List<String> allowedHosts) {
      return new Admin(text(token), ConfigValues.nonBlank("allowed_hosts", allowedHosts).stream()
          .map(h -> h.toLowerCase(java.util.Locale.ROOT)).toList());
    }
  }

  /**
   * Where the gateway listens.
   *
   * @param host interface to bind, default {@code 127.0.0.1}
   * @param port TCP port, default 8000; 0 picks a free port
   * @param eventLoops HTTP server instances, one per event loop; default the number of cores
   * @param accessLogEvery one request in this many is written to the access log (failed ones always,
   *     up to a rate); 0 turns the access log off; default 100
   * @param idleGcAfter after this long with no request, the heap is collected if its old generation
   *     grew by 32 MB since the last collection (see {@code IdleCollector}); zero turns it off;
   *     default 10 s
   * @param headerTimeout from accepting a connection to its first request's complete headers, default 10 s
   * @param bodyTimeout longest silence while a request body arrives (408 after it), default 30 s
   * @param idleTimeout longest a keep-alive connection waits for its next request, default 75 s; a
   *     request in progress (a long stream) is never idle
   * @param maxConnections most client connections open at once; further ones are closed at once.
   *     Default: derived from the open-file limit ({@link #derivedMaxConnections(long)})
   * @param drainTimeout on SIGTERM, how long requests in flight may run to their end before they are cut
   * @param corsOrigins origins a browser app may call {@code /v1/} from ({@code *} for any); empty: none
   * @param transport what sockets are read and written with; default {@link NetworkTransport#AUTO}
   */
  public record Server(String host, int port, int eventLoops, int accessLogEvery, Duration idleGcAfter,
      Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, int maxConnections, Duration drainTimeout,
      List<String> corsOrigins, NetworkTransport transport) {

    /** Checks bounds and copies the list. */
    public Server {
      if (host.isBlank()) {
        throw new ConfigException("host", "must not be empty");
      }
      between("port", port, 0, 65535);
      between("event_loops", eventLoops, 1, 256);
      between("access_log_every", accessLogEvery, 0, 1_000_000);
      Duration hour = Duration.ofHours(1);
      between("idle_gc_after", idleGcAfter, Duration.ZERO, Duration.ofDays(1));
      between("header_timeout", headerTimeout, Duration.ofMillis(100), hour);
      between("body_timeout", bodyTimeout, Duration.ofMillis(100), hour);
      between("idle_timeout", idleTimeout, Duration.ofMillis(100), hour);
      between("max_connections", maxConnections, 1, 10_000_000);
      between("drain_timeout", drainTimeout, Duration.ZERO, hour);
      corsOrigins = List.copyOf(corsOrigins);
      for (int i = 0; i < corsOrigins.size(); i++) {
        ConfigValues.origin("cors_origins[" + i + "]", corsOrigins.get(i));
      }
    }

    @JsonCreator
    static Server bind(@JsonProperty("host") String host, @JsonProperty("port") Integer port,
        @JsonProperty("event_loops") Integer eventLoops, @JsonProperty("access_log_every") Integer accessLogEvery,
        @JsonProperty("idle_gc_after") Duration idleGcAfter, @JsonProperty("header_timeout") Duration headerTimeout,
        @JsonProperty("body_timeout") Duration bodyTimeout, @JsonProperty("idle_timeout") Duration idleTimeout,
        @JsonProperty("max_connections") Integer maxConnections, @JsonProperty("drain_timeout") Duration drainTimeout,
        @JsonProperty("cors_origins") List<String> corsOrigins, @JsonProperty("transport") String transport) {
      return new Server(or(host, "127.0.0.1").trim(), or(port, 8000),
          or(eventLoops, Runtime.getRuntime().availableProcessors()), or(accessLogEvery, 100),
          or(idleGcAfter, Duration.ofSeconds(10)), or(headerTimeout, Duration.ofSeconds(10)),
          or(bodyTimeout, Duration.ofSeconds(30)), or(idleTimeout, Duration.ofSeconds(75)),
          or(maxConnections, derivedMaxConnections(ConfigValues.openFileLimit())),
          or(drainTimeout, Duration.ofSeconds(30)), ConfigValues.nonBlank("cors_origins", corsOrigins),
          NetworkTransport.of(transport));
    }

    /**
     * The default cap on client connections for a process allowed {@code openFileLimit} descriptors:
     * four fifths of them (a fifth, at least 256, is left for backend connections, model servers'
     * pipes, logs and the JVM's own files), and at least 64.
     */
    public static int derivedMaxConnections(long openFileLimit) {
      long headroom = Math.max(256, openFileLimit / 5);
      return (int) Math.max(64, Math.min(Integer.MAX_VALUE, openFileLimit - headroom));
    }
  }

  /**
   * Bounds on client input.
   *
   * @param bodyBytes largest request body accepted (413 beyond), default 2 MiB
   * @param jsonDepth deepest nesting of JSON arrays and objects accepted, default 64
   * @param maxTokens largest {@code max_tokens} / {@code max_completion_tokens} accepted
   * @param maxChoices largest {@code n} accepted
   * @param embeddingInputs most inputs in one embeddings request (OpenAI's limit is 2048)
   * @param upstreamResponseBytes largest upstream body Magi holds in memory to translate it
   */
  public record Limits(long bodyBytes, int jsonDepth, int maxTokens, int maxChoices, int embeddingInputs,
      long upstreamResponseBytes) {

    /** Checks bounds. */
    public Limits {
      bytesBetween("body_bytes", bodyBytes, 1024, 1L << 30);
      between("json_depth", jsonDepth, 4, 1000);
      between("max_tokens", maxTokens, 1, Integer.MAX_VALUE);
      between("max_choices", maxChoices, 1, 128);
      between("embedding_inputs", embeddingInputs, 1, 100_000);
      bytesBetween("upstream_response_bytes", upstreamResponseBytes, 1 << 16, 4L << 30);
    }

    @JsonCreator
    static Limits bind(@JsonProperty("body_bytes") @JsonDeserialize(using = ConfigBinding.Size.class) Long bodyBytes,
        @JsonProperty("json_depth") Integer jsonDepth, @JsonProperty("max_tokens") Integer maxTokens,
        @JsonProperty("max_choices") Integer maxChoices, @JsonProperty("embedding_inputs") Integer embeddingInputs,
        @JsonProperty("upstream_response_bytes") @JsonDeserialize(using = ConfigBinding.Size.class)
        Long upstreamResponseBytes) {
      return new Limits(or(bodyBytes, 2L << 20), or(jsonDepth, 64), or(maxTokens, 1 << 20), or(maxChoices, 16),
          or(embeddingInputs, 2048), or(upstreamResponseBytes, 256L << 20));
    }
  }

  /**
   * Bounds on upstream exchanges.
   *
   * @param connect establishing a connection to a backend
   * @param firstToken from sending a streamed request to its first event
   * @param betweenChunks silence allowed between two events of a stream
   * @param nonStreaming a whole non-streaming exchange
   * @param commitDelay how long a stream may wait for its first event before the 200 is sent anyway,
   *     followed by {@code : ping} comments (so proxies with short read timeouts keep the stream)
   * @param pingInterval time between two {@code : ping} comments while no event flows
   */
  public record Timeouts(Duration connect, Duration firstToken, Duration betweenChunks, Duration nonStreaming,
      Duration commitDelay, Duration pingInterval) {

    /** Checks bounds. */
    public Timeouts {
      Duration least = Duration.ofMillis(10);
      Duration day = Duration.ofDays(1);
      between("connect", connect, least, Duration.ofMinutes(5));
      between("first_token", firstToken, least, day);
      between("between_chunks", betweenChunks, least, day);
      between("non_streaming", nonStreaming, least, day);
      between("commit_delay", commitDelay, least, day);
      between("ping_interval", pingInterval, least, day);
    }

    @JsonCreator
    static Timeouts bind(@JsonProperty("connect") Duration connect, @JsonProperty("first_token") Duration firstToken,
        @JsonProperty("between_chunks") Duration betweenChunks, @JsonProperty("non_streaming") Duration nonStreaming,
        @JsonProperty("commit_delay") Duration commitDelay, @JsonProperty("ping_interval") Duration pingInterval) {
      return new Timeouts(or(connect, Duration.ofSeconds(2)), or(firstToken, Duration.ofSeconds(120)),
          or(betweenChunks, Duration.ofSeconds(60)), or(nonStreaming, Duration.ofSeconds(600)),
          or(commitDelay, Duration.ofSeconds(10)), or(pingInterval, Duration.ofSeconds(15)));
    }
  }

  /**
   * Local models: where GGUF files are found and how their servers run.
   *
   * @param dir the models directory ({@code MODEL_SCAN_PATH})
   * @param registryFile where the catalogue is saved ({@code REGISTRY_PATH})
   * @param llamaServer the llama-server binary ({@code LLAMA_SERVER_PATH})
   * @param portRangeStart first port leased to servers ({@code MODEL_PORT_RANGE_START})
   * @param portRangeEnd last port leased to servers ({@code MODEL_PORT_RANGE_END})
   * @param maxStartupTime how long a server may take to become healthy ({@code MODEL_MAX_STARTUP_TIME})
   * @param concurrentStarts servers loading at once (1 when {@code MODEL_CONCURRENT_STARTS=false})
   * @param drainTimeout how long a stopping server may finish its requests
   * @param stopGrace time between SIGTERM and SIGKILL
   * @param logDir where server logs go
   * @param dataDir where Magi keeps its state (pid file, active profile)
   * @param defaults launch settings of models without their own
   * @param settings per-file settings, by file stem
   * @param loadOnRequest whether a request for a local model that is not running loads it
   * @param memoryBudget bytes all local servers may need together, 0 for no limit; idle models are
   *     unloaded to stay within it
   * @param pinned ids of models never unloaded to make room ({@code pinned: true} in their settings)
   * @param preload ids of models loaded at startup ({@code preload: true} in their settings)
   * @param maxSwapWait longest a model that does not fit waits for busy ones to finish before they are
   *     drained and swapped out for it
   */
  public record Models(Path dir, Path registryFile, String llamaServer, int portRangeStart, int portRangeEnd,
      Duration maxStartupTime, int concurrentStarts, Duration drainTimeout, Duration stopGrace, Path logDir,
      Path dataDir, LaunchSettings defaults, Map<String, ModelSettings> settings, boolean loadOnRequest,
      long memoryBudget, Set<String> pinned, Set<String> preload, Duration maxSwapWait) {

    /** Checks bounds and copies the settings. */
    public Models {
      between("port_range_start", portRangeStart, 1, 65535);
      between("port_range_end", portRangeEnd, 1, 65535);
      if (portRangeEnd < portRangeStart) {
        throw new ConfigException("port_range_end", "must not be below port_range_start (" + portRangeStart + ")");
      }
      between("max_startup_time", maxStartupTime, Duration.ofSeconds(1), Duration.ofDays(1));
      between("concurrent_starts", concurrentStarts, 1, 64);
      between("drain_timeout", drainTimeout, Duration.ZERO, Duration.ofHours(1));
      between("stop_grace", stopGrace, Duration.ofMillis(100), Duration.ofMinutes(10));
      bytesBetween("memory_budget", memoryBudget, 0, 1L << 50);
      between("max_swap_wait", maxSwapWait, Duration.ZERO, Duration.ofHours(1));
      settings = Map.copyOf(settings);
      pinned = Set.copyOf(pinned);
      preload = Set.copyOf(preload);
    }

    @JsonCreator
    static Models bind(@JsonProperty("dir") String dir, @JsonProperty("registry") String registry,
        @JsonProperty("llama_server") String llamaServer, @JsonProperty("port_range_start") Integer portRangeStart,
        @JsonProperty("port_range_end") Integer portRangeEnd, @JsonProperty("max_startup_time") Duration maxStartupTime,
        @JsonProperty("concurrent_starts") Integer concurrentStarts,
        @JsonProperty("drain_timeout") Duration drainTimeout, @JsonProperty("stop_grace") Duration stopGrace,
        @JsonProperty("logs") String logs, @JsonProperty("data") String data,
        @JsonProperty("defaults") ModelFileSettings.Launch defaults,
        @JsonProperty("settings") Map<String, ModelFileSettings> settings,
        @JsonProperty("load_on_request") Boolean loadOnRequest,
        @JsonProperty("memory_budget") @JsonDeserialize(using = ConfigBinding.Size.class) Long memoryBudget,
        @JsonProperty("max_swap_wait") Duration maxSwapWait) {
      Path dataDir = Path.of(or(data, "data"));
      LaunchSettings launchDefaults = defaults.resolve(LaunchSettings.DEFAULTS);
      Map<String, ModelSettings> byStem = new LinkedHashMap<>();
      Set<String> pinned = new java.util.TreeSet<>();
      Set<String> preload = new java.util.TreeSet<>();
      map(settings).forEach((stem, entry) -> {
        ModelSettings resolved = entry.resolve(launchDefaults);
        byStem.put(stem, resolved);
        String id = resolved.id().orElse(stem);
        if (entry.pinned()) {
          pinned.add(id);
        }
        if (entry.preload()) {
          preload.add(id);
        }
      });
      return new Models(Path.of(or(dir, "models")),
          registry == null ? dataDir.resolve("model_registry.json") : Path.of(registry), or(llamaServer, "llama-server"),
          or(portRangeStart, 8080), or(portRangeEnd, 8099), or(maxStartupTime, Duration.ofSeconds(120)),
          or(concurrentStarts, 2), or(drainTimeout, Duration.ofSeconds(30)), or(stopGrace, Duration.ofSeconds(5)),
          Path.of(or(logs, "logs")), dataDir, launchDefaults, byStem, or(loadOnRequest, true), or(memoryBudget, 0L),
          pinned, preload, or(maxSwapWait, Duration.ofSeconds(30)));
    }
  }

  /**
   * Retrieval: where vector stores live and how documents are embedded.
   *
   * @param databaseUrl {@code DATABASE_URL} ({@code postgresql://user@host:port/db}); empty keeps vector
   *     stores on disk under the data directory (or in memory, with {@code store: memory})
   * @param password from {@code POSTGRES_PASSWORD_FILE} when set (Docker secrets), else none (the URL's
   *     or {@code PGPASSWORD} then apply)
   * @param embeddingModel the model vector stores embed with unless their creator names another
   * @param chunkTokens default {@code max_chunk_size_tokens}
   * @param overlapTokens default {@code chunk_overlap_tokens}
   * @param maxDocumentBytes largest document or file accepted
   * @param rerankModel a rerank model that reorders the vector search's candidates before a chat gets
   *     them as context; empty: the vector order
   * @param store where vector stores and files live: {@link RetrievalService.Store#POSTGRES} with a
   *     database URL, else {@link RetrievalService.Store#DISK} unless {@code store: memory} says otherwise
   */
  public record Retrieval(Optional<String> databaseUrl, Optional<String> password, String embeddingModel,
      int chunkTokens, int overlapTokens, long maxDocumentBytes, Optional<String> rerankModel,
      RetrievalService.Store store) {

    /** Checks the URL and the bounds. */
    public Retrieval {
      databaseUrl.ifPresent(url -> {
        try {
          io.vertx.pgclient.PgConnectOptions.fromUri(url);
        } catch (RuntimeException e) {
          throw new ConfigException("database_url", "is not a PostgreSQL URL (postgresql://user@host:port/db): "
              + e.getMessage());
        }
      });
      between("chunk_tokens", chunkTokens, 100, 4096);
      between("overlap_tokens", overlapTokens, 0, 2048);
      if (overlapTokens > chunkTokens / 2) {
        throw new ConfigException("overlap_tokens", "must be at most half of chunk_tokens (" + chunkTokens + ")");
      }
      bytesBetween("max_document_bytes", maxDocumentBytes, 1024, 512L << 20);
    }

    /** Reads the password file, when one is named: configuration is loaded off the event loops. */
    @JsonCreator
    static Retrieval bind(@JsonProperty("database_url") String databaseUrl,
        @JsonProperty("password_file") String passwordFile, @JsonProperty("embedding_model") String embeddingModel,
        @JsonProperty("chunk_tokens") Integer chunkTokens, @JsonProperty("overlap_tokens") Integer overlapTokens,
        @JsonProperty("max_document_bytes") @JsonDeserialize(using = ConfigBinding.Size.class) Long maxDocumentBytes,
        @JsonProperty("rerank_model") String rerankModel, @JsonProperty("store") String store) {
      Optional<String> password = text(passwordFile).map(file -> {
        try {
          return java.nio.file.Files.readString(Path.of(file)).strip();
        } catch (java.nio.file.NoSuchFileException e) {
          throw new ConfigException("password_file", "no such file: " + file);
        } catch (java.io.IOException e) {
          throw new ConfigException("password_file", "cannot be read: " + e.getMessage());
        }
      });
      Optional<String> url = text(databaseUrl);
      String kind = or(store, "auto").trim().toLowerCase(java.util.Locale.ROOT);
      RetrievalService.Store where = switch (kind) {
        case "auto" -> url.isPresent() ? RetrievalService.Store.POSTGRES : RetrievalService.Store.DISK;
        case "postgres", "postgresql" -> {
          if (url.isEmpty()) {
            throw new ConfigException("store", "postgres needs database_url (DATABASE_URL)");
          }
          yield RetrievalService.Store.POSTGRES;
        }
        case "disk" -> RetrievalService.Store.DISK;
        case "memory" -> RetrievalService.Store.MEMORY;
        default -> throw new ConfigException("store", "must be auto, postgres, disk or memory, got '" + store + "'");
      };
      return new Retrieval(url, password, or(embeddingModel, "nomic-embed-text"), or(chunkTokens, 800),
          or(overlapTokens, 400), or(maxDocumentBytes, 8L << 20), text(rerankModel), where);
    }
  }

  /**
   * Routing: admission queues and load balancing.
   *
   * @param queueLength most requests waiting for a slot, per model (429 beyond)
   * @param queueWait longest a request waits for a slot (429 after)
   * @param policy the load-balancing policy of every model: {@code least_outstanding}, {@code round_robin}, {@code p2c}
   * @param policies policies of particular models, by model id
   */
  public record Routing(int queueLength, Duration queueWait, String policy, Map<String, String> policies) {

    /** Checks bounds and policy names, and copies the map. */
    public Routing {
      between("queue_length", queueLength, 0, 1_000_000);
      between("queue_wait", queueWait, Duration.ZERO, Duration.ofHours(1));
      ConfigValues.policy("policy", policy);
      policies = Map.copyOf(policies);
      policies.forEach((model, name) -> ConfigValues.policy("policies." + model, name));
    }

    @JsonCreator
    static Routing bind(@JsonProperty("queue_length") Integer queueLength,
        @JsonProperty("queue_wait") Duration queueWait, @JsonProperty("policy") String policy,
        @JsonProperty("policies") Map<String, String> policies) {
      String everyModel = or(policy, "least_outstanding");
      Map<String, String> perModel = new LinkedHashMap<>();
      map(policies).forEach((model, name) -> perModel.put(model, or(name, everyModel)));
      return new Routing(or(queueLength, 256), or(queueWait, Duration.ofSeconds(30)), everyModel, perModel);
    }

    /** The policy name of {@code model}. */
    public String policyOf(String model) {
      return policies.getOrDefault(model, policy);
    }
  }

  /**
   * Active health checks.
   *
   * @param interval time between two checks of one endpoint
   * @param timeout how long one check may take
   */
  public record HealthChecks(Duration interval, Duration timeout) {

    /** Checks bounds. */
    public HealthChecks {
      between("interval", interval, Duration.ofMillis(50), Duration.ofHours(1));
      between("timeout", timeout, Duration.ofMillis(10), Duration.ofMinutes(1));
    }

    @JsonCreator
    static HealthChecks bind(@JsonProperty("interval") Duration interval, @JsonProperty("timeout") Duration timeout) {
      return new HealthChecks(or(interval, Duration.ofSeconds(5)), or(timeout, Duration.ofSeconds(2)));
    }
  }
}
