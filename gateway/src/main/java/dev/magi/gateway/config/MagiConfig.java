package dev.magi.gateway.config;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The whole configuration of one gateway, immutable. Every key has a default, so
 * {@link #defaults()} is a working configuration with no backends.
 *
 * @param server where to listen
 * @param apiKeys keys accepted on {@code /v1/}; empty means the API is open
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
 */
public record MagiConfig(Server server, List<String> apiKeys, Limits limits, Timeouts timeouts, HealthChecks health,
    Duration ollamaRefresh, List<BackendSettings> backends, Models models, Admin admin,
    Routing routing, java.util.Map<String, dev.magi.models.Profile> profiles,
    java.util.Optional<String> startupProfile, Retrieval retrieval, boolean watchFile) {

  /** Copies the lists and checks that no model name is claimed twice by aliases. */
  public MagiConfig {
    profiles = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(profiles));
    apiKeys = List.copyOf(apiKeys);
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

  /** The token {@code /api/} requires; empty means loopback clients only. */
  public java.util.Optional<String> adminToken() {
    return admin.token();
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
  public record Admin(java.util.Optional<String> token, List<String> allowedHosts) {

    /** Copies the list. */
    public Admin {
      allowedHosts = List.copyOf(allowedHosts);
    }
  }

  /** The configuration used when there is no file and no environment: nothing to route to yet. */
  public static MagiConfig defaults() {
    return ConfigLoader.fromYaml("", java.util.Map.of());
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
   */
  public record Server(String host, int port, int eventLoops, int accessLogEvery, Duration idleGcAfter,
      Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, int maxConnections, Duration drainTimeout,
      List<String> corsOrigins) {

    /** Copies the list. */
    public Server {
      corsOrigins = List.copyOf(corsOrigins);
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
  public record Models(java.nio.file.Path dir, java.nio.file.Path registryFile, String llamaServer, int portRangeStart,
      int portRangeEnd, Duration maxStartupTime, int concurrentStarts, Duration drainTimeout, Duration stopGrace,
      java.nio.file.Path logDir, java.nio.file.Path dataDir, dev.magi.registry.LaunchSettings defaults,
      java.util.Map<String, dev.magi.registry.ModelSettings> settings, boolean loadOnRequest, long memoryBudget,
      java.util.Set<String> pinned, java.util.Set<String> preload, Duration maxSwapWait) {

    /** Copies the settings. */
    public Models {
      settings = java.util.Map.copyOf(settings);
      pinned = java.util.Set.copyOf(pinned);
      preload = java.util.Set.copyOf(preload);
    }
  }

  /**
   * Retrieval: where vector stores live and how documents are embedded.
   *
   * @param databaseUrl {@code DATABASE_URL} ({@code postgresql://user@host:port/db}); empty keeps vector
   *     stores in memory (not persisted)
   * @param password from {@code POSTGRES_PASSWORD_FILE} when set (Docker secrets), else none (the URL's
   *     or {@code PGPASSWORD} then apply)
   * @param embeddingModel the model vector stores embed with unless their creator names another
   * @param chunkTokens default {@code max_chunk_size_tokens}
   * @param overlapTokens default {@code chunk_overlap_tokens}
   * @param maxDocumentBytes largest document or file accepted
   */
  public record Retrieval(java.util.Optional<String> databaseUrl, java.util.Optional<String> password,
      String embeddingModel, int chunkTokens, int overlapTokens, long maxDocumentBytes) {
  }

  /**
   * Routing: admission queues and load balancing.
   *
   * @param queueLength most requests waiting for a slot, per model (429 beyond)
   * @param queueWait longest a request waits for a slot (429 after)
   * @param policy the load-balancing policy of every model: {@code least_outstanding}, {@code round_robin}, {@code p2c}
   * @param policies policies of particular models, by model id
   */
  public record Routing(int queueLength, Duration queueWait, String policy, java.util.Map<String, String> policies) {

    /** Copies the map. */
    public Routing {
      policies = java.util.Map.copyOf(policies);
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
  }
}
