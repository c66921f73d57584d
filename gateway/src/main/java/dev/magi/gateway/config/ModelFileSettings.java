package dev.magi.gateway.config;

import static dev.magi.gateway.config.ConfigValues.between;
import static dev.magi.gateway.config.ConfigValues.or;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.magi.registry.LaunchSettings;
import dev.magi.registry.ModelSettings;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code models.settings.<stem>} entry as written: what is not set comes from
 * {@code models.defaults} ({@link #resolve}).
 *
 * @param id the id to serve the file under instead of its stem
 * @param aliases other ids for it
 * @param launch its own launch settings
 * @param pinned never unloaded to make room for another model
 * @param preload loaded at startup
 * @param kind what it is for ({@code chat}, {@code embedding}, {@code rerank}), when its header does not say
 */
record ModelFileSettings(Optional<String> id, List<String> aliases, Launch launch, boolean pinned, boolean preload,
    Optional<dev.magi.registry.ModelKind> kind) {

  /** Checks the names. */
  ModelFileSettings {
    id.ifPresent(v -> ConfigValues.modelName("id", v));
    aliases = ConfigValues.modelNames("aliases", List.copyOf(aliases));
  }

  @JsonCreator
  static ModelFileSettings bind(@JsonProperty("id") String id, @JsonProperty("aliases") List<String> aliases,
      @JsonProperty("context") Integer context, @JsonProperty("parallel") Integer parallel,
      @JsonProperty("gpu_layers") Integer gpuLayers, @JsonProperty("args") List<String> args,
      @JsonProperty("env") Map<String, String> env, @JsonProperty("pinned") boolean pinned,
      @JsonProperty("preload") boolean preload, @JsonProperty("kind") String kind) {
    return new ModelFileSettings(ConfigValues.text(id), ConfigValues.nonBlank("aliases", aliases),
        new Launch(context, parallel, gpuLayers, args, env), pinned, preload, kind(kind));
  }

  private static Optional<dev.magi.registry.ModelKind> kind(String kind) {
    if (kind == null || kind.isBlank()) {
      return Optional.empty();
    }
    for (dev.magi.registry.ModelKind known : dev.magi.registry.ModelKind.values()) {
      if (known.json().equals(kind.trim())) {
        return Optional.of(known);
      }
    }
    throw new ConfigException("kind", "must be chat, embedding or rerank, got '" + kind + "'");
  }

  /** The settings of this file, with what it does not set taken from {@code defaults}. */
  ModelSettings resolve(LaunchSettings defaults) {
    return new ModelSettings(id, aliases, launch.resolve(defaults), launch.context() != null, kind);
  }

  /**
   * Launch settings as written ({@code models.defaults}, or those of one file); absent ones are null.
   *
   * @param context tokens per request
   * @param parallel slots
   * @param gpuLayers layers offloaded, -1 for llama-server's default
   * @param args extra llama-server arguments (replacing the defaults' when set)
   * @param env environment variables (added to the defaults')
   */
  record Launch(@JsonProperty("context") Integer context, @JsonProperty("parallel") Integer parallel,
      @JsonProperty("gpu_layers") Integer gpuLayers, @JsonProperty("args") List<String> args,
      @JsonProperty("env") Map<String, String> env) {

    /** Checks bounds and names. */
    Launch {
      if (context != null) {
        between("context", context, 16, 1 << 24);
      }
      if (parallel != null) {
        between("parallel", parallel, 1, 256);
      }
      if (gpuLayers != null) {
        between("gpu_layers", gpuLayers, -1, 100_000);
      }
      args = args == null ? null : ConfigValues.nonBlank("args", args);
      env = ConfigValues.environment("env", env);
    }

    /** These settings, with what is not set taken from {@code fallback} ({@code env} adds to the fallback's). */
    LaunchSettings resolve(LaunchSettings fallback) {
      Map<String, String> variables = new java.util.TreeMap<>(fallback.env());
      variables.putAll(env);
      return new LaunchSettings(or(context, fallback.context()), or(parallel, fallback.parallel()),
          or(gpuLayers, fallback.gpuLayers()), or(args, fallback.args()), variables);
    }
  }
}
