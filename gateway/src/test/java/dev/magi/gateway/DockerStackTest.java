package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.magi.gateway.config.ConfigLoader;
import dev.magi.testkit.RepositoryFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@code docker/} stack, checked without a Docker engine: the compose file's invariants, the
 * Prometheus configuration as Prometheus's own {@code promtool} reads it, Magi's configuration in the
 * stack, and the image's pieces.
 */
class DockerStackTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** The environment variables Magi reads: its configuration's and the launcher's and entrypoint's. */
  private static Set<String> variablesMagiReads() {
    Set<String> names = new HashSet<>(ConfigLoader.environmentVariables());
    names.addAll(List.of("MAGI_JAVA_OPTS", "MAGI_JAR",
        "MAGI_ADMIN_TOKEN_FILE", "MAGI_API_KEYS_FILE", "MAGI_METRICS_TOKEN_FILE"));
    return names;
  }

  private static JsonNode compose() throws Exception {
    return YAML.readTree(Files.readString(RepositoryFiles.path("docker/compose.yaml")));
  }

  @Test
  void everyImageIsPinnedEveryServiceCheckedAndOnlyNginxPublished() throws Exception {
    JsonNode services = compose().path("services");
    Set<String> names = new TreeSet<>();
    services.fieldNames().forEachRemaining(names::add);
    assertEquals(new TreeSet<>(List.of("grafana", "magi", "nginx", "ollama", "postgres", "prometheus", "redis")), names);
    List<String> wrong = new ArrayList<>();
    for (String name : names) {
      JsonNode service = services.path(name);
      String image = service.path("image").asText();
      String tag = image.contains(":") ? image.substring(image.lastIndexOf(':') + 1) : "";
      if (!service.has("build") && (tag.isEmpty() || tag.equals("latest") || !tag.matches(".*\\d.*"))) {
        wrong.add(name + ": image '" + image + "' is not pinned to a version");
      }
      if (!service.path("healthcheck").path("test").isArray()) {
        wrong.add(name + ": no healthcheck");
      }
      service.path("depends_on").fields().forEachRemaining(dependency -> {
        if (!"service_healthy".equals(dependency.getValue().path("condition").asText())) {
          wrong.add(name + ": depends on " + dependency.getKey() + " without condition: service_healthy");
        }
        if (!names.contains(dependency.getKey())) {
          wrong.add(name + ": depends on an unknown service " + dependency.getKey());
        }
      });
      if (service.has("ports") != name.equals("nginx")) {
        wrong.add(name + (name.equals("nginx") ? ": not published" : ": publishes ports; only nginx may"));
      }
    }
    assertEquals(List.of(), wrong);
    assertTrue(services.path("postgres").path("image").asText().startsWith("pgvector/pgvector:"));
  }

  @Test
  void magiGetsOnlyVariablesItReadsSecretsAsFilesAndModelsReadOnly() throws Exception {
    JsonNode stack = compose();
    JsonNode magi = stack.path("services").path("magi");
    Set<String> unknown = new TreeSet<>();
    magi.path("environment").fieldNames().forEachRemaining(name -> {
      if (!variablesMagiReads().contains(name)) {
        unknown.add(name);
      }
    });
    assertEquals(Set.of(), unknown, "variables Magi does not read");
    assertEquals("/run/secrets/postgres_password", magi.path("environment").path("POSTGRES_PASSWORD_FILE").asText());
    assertEquals("/run/secrets/postgres_password",
        stack.path("services").path("postgres").path("environment").path("POSTGRES_PASSWORD_FILE").asText());
    List<String> volumes = new ArrayList<>();
    magi.path("volumes").forEach(v -> volumes.add(v.asText()));
    assertTrue(volumes.stream().anyMatch(v -> v.endsWith(":/models:ro")), "models read-only: " + volumes);
    assertTrue(volumes.contains("magi-data:/data") && stack.path("volumes").has("magi-data"), "data on a named volume");
    stack.path("secrets").fields().forEachRemaining(secret -> assertTrue(
        secret.getValue().path("file").asText().startsWith("./secrets/"), secret.getKey() + " comes from a file"));
    for (String example : List.of("docker/.env.example")) {
      assertTrue(Files.exists(RepositoryFiles.path(example)), example);
    }
  }

  @Test
  void theStacksMagiConfigurationLoadsAndItsMountsExist() throws Exception {
    Path docker = RepositoryFiles.path("docker");
    String yaml = Files.readString(docker.resolve("magi.yaml"));
    var config = ConfigLoader.fromYaml(yaml, Map.of("DATABASE_URL", "postgresql://magi@postgres:5432/magi"));
    assertEquals("0.0.0.0", config.server().host());
    assertTrue(config.metrics().allowedFrom().size() == 3);
    for (JsonNode service : iterable(compose().path("services"))) {
      for (JsonNode volume : service.path("volumes")) {
        String source = volume.asText().split(":")[0];
        if (source.startsWith("./") && !source.contains("${")) {
          assertTrue(Files.exists(docker.resolve(source)), "mounted file exists: " + source);
        }
      }
    }
    String dockerfile = Files.readString(docker.resolve("Dockerfile"));
    assertTrue(dockerfile.contains("USER magi") && dockerfile.contains("tini") && dockerfile.contains("HEALTHCHECK"));
    String reactor = Files.readString(RepositoryFiles.path("pom.xml"));
    java.util.regex.Matcher modules = java.util.regex.Pattern.compile("<module>([a-z]+)</module>").matcher(reactor);
    while (modules.find()) {
      String module = modules.group(1);
      assertTrue(dockerfile.contains("COPY " + module + " " + module), "the build copies module " + module);
    }
    String unit = Files.readString(docker.resolve("systemd/magi.service"));
    assertTrue(unit.contains("ExecStart=/opt/magi/magi serve") && unit.contains("ExecReload=/bin/kill -HUP $MAINPID"));
  }

  @Test
  void promtoolAcceptsThePrometheusConfiguration() throws Exception {
    Path file = RepositoryFiles.path("docker/prometheus/prometheus.yml");
    Process check = new ProcessBuilder("promtool", "check", "config", file.toString()).redirectErrorStream(true)
        .start();
    String output = new String(check.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(check.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, check.exitValue(), output);
    assertTrue(YAML.readTree(file.toFile()).path("scrape_configs").get(0).path("static_configs").get(0)
        .path("targets").get(0).asText().equals("magi:8000"));
  }

  private static Iterable<JsonNode> iterable(JsonNode node) {
    List<JsonNode> all = new ArrayList<>();
    node.forEach(all::add);
    return all;
  }
}
