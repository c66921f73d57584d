package dev.magi.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.router.BackendType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

  private static Path repositoryFile(String name) {
    return dev.magi.testkit.RepositoryFiles.path(name);
  }

  @Test
  void noConfigurationAtAllGivesTheDocumentedDefaults() {
    MagiConfig config = MagiConfig.defaults();

    assertEquals("127.0.0.1", config.server().host());
    assertEquals(8000, config.server().port());
    assertEquals(Duration.ofSeconds(10), config.server().idleGcAfter());
    assertEquals(Duration.ZERO, ConfigLoader.fromYaml("server: {idle_gc_after: 0}", Map.of()).server().idleGcAfter());
    assertEquals(2L << 20, config.limits().bodyBytes());
    assertEquals(Duration.ofSeconds(2), config.timeouts().connect());
    assertEquals(Duration.ofSeconds(120), config.timeouts().firstToken());
    assertEquals(Duration.ofSeconds(60), config.timeouts().betweenChunks());
    assertEquals(List.of(), config.backends());
    assertEquals(List.of(), config.apiKeys());
  }

  @Test
  void theShippedExampleLoadsAndMatchesTheDefaults() throws Exception {
    MagiConfig example = ConfigLoader.fromYaml(Files.readString(repositoryFile("magi.example.yaml")), Map.of());

    MagiConfig defaults = MagiConfig.defaults();
    assertEquals(defaults.limits(), example.limits());
    assertEquals(defaults.timeouts(), example.timeouts());
    assertEquals(defaults.health(), example.health());
    assertEquals(defaults.server(), example.server());
    assertEquals(defaults.admin(), example.admin());
    assertEquals(defaults.models(), example.models());
    assertEquals(defaults.adminToken(), example.adminToken());
    assertEquals(defaults.routing(), example.routing());
    assertEquals(defaults.retrieval(), example.retrieval());
    assertEquals(List.of("development", "production", "fast-only"), List.copyOf(example.profiles().keySet()));
    var development = example.profiles().get("development");
    assertEquals(4L << 30, development.memoryBudget());
    assertEquals(2, development.models().get(0).replicas());
    assertEquals(dev.magi.models.ModelSource.OLLAMA, development.models().get(1).source());
    var onDemand = example.profiles().get("production").models().get(2);
    assertTrue(onDemand.onDemand());
    assertEquals(Duration.ofMinutes(10), onDemand.ttl());
  }

  @Test
  void modelSettingsAndTheSeedsEnvironmentNames() {
    MagiConfig config = ConfigLoader.fromYaml("models:\n  defaults:\n    parallel: 3\n  settings:\n"
        + "    Qwen2-0.5B-Q4:\n      id: qwen\n      aliases: [q]\n      context: 8192\n      args: [--flash-attn, 'on']\n",
        Map.of("MODEL_SCAN_PATH", "/srv/models", "LLAMA_SERVER_PATH", "/opt/llama/llama-server",
            "REGISTRY_PATH", "/var/lib/magi/registry.json", "MODEL_PORT_RANGE_START", "9000",
            "MODEL_PORT_RANGE_END", "9009", "MODEL_MAX_STARTUP_TIME", "30", "MODEL_CONCURRENT_STARTS", "false",
            "MAGI_ADMIN_TOKEN", "t0ken"));

    MagiConfig.Models models = config.models();
    assertEquals(Path.of("/srv/models"), models.dir());
    assertEquals("/opt/llama/llama-server", models.llamaServer());
    assertEquals(Path.of("/var/lib/magi/registry.json"), models.registryFile());
    assertEquals(9000, models.portRangeStart());
    assertEquals(9009, models.portRangeEnd());
    assertEquals(Duration.ofSeconds(30), models.maxStartupTime());
    assertEquals(1, models.concurrentStarts());
    assertEquals(3, models.defaults().parallel());
    var qwen = models.settings().get("Qwen2-0.5B-Q4");
    assertEquals("qwen", qwen.id().orElseThrow());
    assertEquals(8192, qwen.launch().context());
    assertEquals(3, qwen.launch().parallel(), "unset keys come from the defaults");
    assertEquals(List.of("--flash-attn", "on"), qwen.launch().args());
    assertEquals("t0ken", config.adminToken().orElseThrow());
  }

  @Test
  void theExamplesCommentedBackendsLoadWhenUncommented() throws Exception {
    String text = Files.readString(repositoryFile("magi.example.yaml")).replace("backends: []\n", "")
        .replaceAll("(?m)^# (backends:)", "$1").replaceAll("(?m)^#   ", "  ");

    MagiConfig config = ConfigLoader.fromYaml(text, Map.of());

    assertEquals(3, config.backends().size());
    assertEquals(List.of("tiny-chat"), config.backends().get(0).aliases());
    assertEquals(BackendType.OPENAI, config.backends().get(1).type());
    assertEquals("meta-llama/Llama-3.1-8B-Instruct", config.backends().get(1).upstreamModel().orElseThrow());
    assertEquals("", config.backends().get(1).endpoint().basePath(), "a trailing /v1 is dropped");
    assertTrue(config.backends().get(2).model().isEmpty());
  }

  @Test
  void environmentWinsOverTheFile() {
    MagiConfig config = ConfigLoader.fromYaml("server:\n  host: 0.0.0.0\n  port: 9000\n",
        Map.of("MAGI_HOST", "127.0.0.2", "MAGI_PORT", "9100", "MAGI_API_KEYS", "a, b,"));

    assertEquals("127.0.0.2", config.server().host());
    assertEquals(9100, config.server().port());
    assertEquals(List.of("a", "b"), config.apiKeys());
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', value = {
      "'server:\n  prot: 9000\n'                                       | server.prot: unknown key",
      "'server:\n  port: 70000\n'                                      | server.port: must be between 0 and 65535",
      "'server:\n  port: eighty\n'                                     | server.port: must be a whole number",
      "'limits:\n  body_bytes: 2 parsecs\n'                            | limits.body_bytes: must be a size",
      "'timeouts:\n  connect: soon\n'                                  | timeouts.connect: must be a duration",
      "'backends:\n  - url: http://a:1\n'                              | backends[0].model: is required for a llama-server backend",
      "'backends:\n  - model: m\n    url: ftp://a\n'                   | backends[0].url: must start with http:// or https://",
      "'backends:\n  - model: m\n    url: http://a/caf\u00e9\n'            | backends[0].url: the path must be ASCII",
      "'backends:\n  - model: m\n    url: http://a\n    api_key: a b\n' | backends[0].api_key: must be printable ASCII",
      "'backends:\n  - model: m\n    url: http://a:1\n    type: vllm\n' | backends[0].type: must be llama-server, openai or ollama",
      "'backends:\n  - model: has space\n    url: http://a:1\n'        | backends[0].model: must be 1-256 printable ASCII",
      "'backends:\n  - model: a\n    url: http://a:1\n  - model: b\n    url: http://b:1\n    aliases: [a]\n' | backends[1].aliases: 'a' is already a model id",
      "'backends: 5\n'                                                 | backends: must be a list",
      "'server:\n  idle_gc_after: 48h\n'                               | server.idle_gc_after: must be between 0ms and",
      "'server: [1]\n'                                                 | server: must be a mapping",
      "'server:\n  port: [\n'                                          | not valid YAML",
      "'models:\n  port_range_start: 9000\n  port_range_end: 8000\n'  | models.port_range_end: must not be below port_range_start",
      "'models:\n  settings:\n    m:\n      parallel: 0\n'            | models.settings.m.parallel: must be between 1 and 256",
      "'models:\n  defaults:\n    ctx: 5\n'                          | models.defaults.ctx: unknown key",
      "'router:\n  policy: random\n'                                  | router.policy: must be least_outstanding, round_robin or p2c",
      "'retrieval:\n  database_url: mysql://x\n'                        | retrieval.database_url: is not a PostgreSQL URL",
      "'retrieval:\n  chunk_tokens: 200\n  overlap_tokens: 150\n'       | retrieval.overlap_tokens: must be at most half of chunk_tokens",
      "'profiles:\n  production:\n    models:\n      - model: a\n      - model: b\n      - model: c\n        replicas: 0\n' | profiles.production.models[2].replicas: must be between 1 and 64",
      "'profiles:\n  p:\n    models:\n      - model: a\n        backend: cloud\n' | profiles.p.models[0].backend: must be local, ollama or remote",
      "'profiles:\n  p:\n    models:\n      - replicas: 2\n'             | profiles.p.models[0].model: is required",
      "'profiles:\n  p:\n    memory_budget: lots\n'                  | profiles.p.memory_budget: must be a size",
      "'profiles:\n  p:\n    models:\n      - model: a\n        on_demand: yes please\n' | profiles.p.models[0].on_demand: must be true or false",
      "'router:\n  policies:\n    m: fastest\n'                       | router.policies.m: must be least_outstanding",
      "'backends:\n  - model: m\n    url: http://a:1\n    slots: -1\n' | backends[0].slots: must be between 0 and 100000",
      "'server:\n  port: 1\n  port: 2\n'                              | server.port: is given twice",
      "'server: {}\nserver: {}\n'                                      | server: is given twice",
      "'backends:\n  - model: a\n    url: http://a:1\n    model: b\n' | backends[0].model: is given twice",
      "'server:\n  maxConnections: 5\n'                                | server.maxConnections: unknown key (known keys: access_log_every,",
      "'startupProfile: dev\n'                                          | startupProfile: unknown key",
      "'models:\n  pinned: [a]\n'                                      | models.pinned: unknown key",
      "'server:\n  port: 80.5\n'                                       | server.port: must be a whole number, got 80.5",
      "'server:\n  port: 99999999999999\n'                             | server.port: is too large a number",
      "'timeouts:\n  connect: {a: 1}\n'                                | timeouts.connect: must be a duration such as 500ms, 30s, 5m or 1h, got a mapping",
      "'server:\n  cors_origins: http://x\n'                           | server.cors_origins: must be a list",
      "'profiles:\n  p:\n    models:\n      - model: a\n        on_demand: 1\n' | profiles.p.models[0].on_demand: must be true or false",
      "'auth:\n  api_keys: [\"\"]\n'                                 | auth.api_keys[0]: must be a non-empty string",
      "'- a\n- b\n'                                                    | must be a mapping of keys to values",
      "'models:\n  settings:\n    m:\n      env: {\"bad name\": x}\n' | models.settings.m.env.bad name: is not an environment variable name",
  })
  void problemsNameTheFieldPath(String yaml, String expected) {
    ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml(yaml, Map.of()));

    assertTrue(error.getMessage().startsWith(expected), error.getMessage());
  }

  @Test
  void emptyMappingsAndEntriesTakeTheirDefaults() {
    MagiConfig config = ConfigLoader.fromYaml("server:\nmodels:\n  defaults:\n  settings:\n    m:\n"
        + "profiles:\n  p:\n    models:\n      -\n        model: a\n", Map.of());

    assertEquals(MagiConfig.defaults().server(), config.server());
    assertEquals(MagiConfig.defaults().models().defaults(), config.models().settings().get("m").launch());
    assertEquals(1, config.profiles().get("p").models().get(0).replicas());
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "MAGI_PORT              | abc   | MAGI_PORT: must be a whole number, got abc",
      "MODEL_MAX_STARTUP_TIME | 0     | MODEL_MAX_STARTUP_TIME: must be between 1000ms and 86400000ms",
      "POSTGRES_PASSWORD_FILE | /nope | POSTGRES_PASSWORD_FILE: no such file: /nope",
      "DATABASE_URL           | mysql://x | DATABASE_URL: is not a PostgreSQL URL",
  })
  void problemsWithTheEnvironmentNameTheVariable(String variable, String value, String expected) {
    ConfigException error = assertThrows(ConfigException.class,
        () -> ConfigLoader.fromYaml("server:\n  port: 8000\n", Map.of(variable, value)));

    assertTrue(error.getMessage().startsWith(expected), error.getMessage());
  }

  @Test
  void aNamedFileThatDoesNotExistIsAnError(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    ConfigException error = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(List.of("--config", missing.toString()), Map.of()));

    assertEquals(missing + ": no such file", error.getMessage());
  }

  @Test
  void fileNamedByEnvironmentIsRead(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("magi.yaml");
    Files.writeString(file, "server:\n  port: 8123\n");

    assertEquals(8123, ConfigLoader.load(List.of(), Map.of("MAGI_CONFIG", file.toString())).server().port());
  }
}
