package dev.magi.gateway.config;

import static dev.magi.gateway.config.ConfigValues.between;
import static dev.magi.gateway.config.ConfigValues.or;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.magi.models.ModelSource;
import dev.magi.models.Profile;
import dev.magi.models.ProfileModel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One {@code profiles.<name>} entry as written; {@link #toProfile} names it.
 *
 * @param description what it is for
 * @param memoryBudget bytes its local servers may need together, 0 for no limit
 * @param models its models
 */
record ProfileSettings(String description, long memoryBudget, List<ProfileModel> models) {

  @JsonCreator
  static ProfileSettings bind(@JsonProperty("description") String description,
      @JsonProperty("memory_budget") @JsonDeserialize(using = ConfigBinding.Size.class) Long memoryBudget,
      @JsonProperty("models") List<Entry> models) {
    return new ProfileSettings(or(description, ""),
        ConfigValues.bytesBetween("memory_budget", or(memoryBudget, 0L), 0, 1L << 50),
        ConfigValues.list(models).stream().map(Entry::model).toList());
  }

  Profile toProfile(String name) {
    return new Profile(name, description, memoryBudget, models);
  }

  /** One {@code profiles.<name>.models[]} entry. */
  record Entry(ProfileModel model) {

    @JsonCreator
    static Entry bind(@JsonProperty("model") String model, @JsonProperty("backend") String backend,
        @JsonProperty("replicas") Integer replicas, @JsonProperty("context") Integer context,
        @JsonProperty("parallel") Integer parallel, @JsonProperty("gpu_layers") Integer gpuLayers,
        @JsonProperty("args") List<String> args, @JsonProperty("on_demand") boolean onDemand,
        @JsonProperty("ttl") Duration ttl) {
      String id = ConfigValues.text(model).orElseThrow(() -> new ConfigException("model", "is required"));
      ConfigValues.modelName("model", id);
      String sourceName = or(backend, "local");
      ModelSource source = ModelSource.byConfigName(sourceName).orElseThrow(() ->
          new ConfigException("backend", "must be local, ollama or remote, got " + sourceName));
      return new Entry(new ProfileModel(id, source, between("replicas", or(replicas, 1), 1, 64),
          optional("context", context, 16, 1 << 24), optional("parallel", parallel, 1, 256),
          optional("gpu_layers", gpuLayers, -1, 100_000),
          args == null ? Optional.empty() : Optional.of(ConfigValues.nonBlank("args", args)), onDemand,
          ConfigValues.between("ttl", or(ttl, Duration.ofMinutes(10)), Duration.ofSeconds(1), Duration.ofDays(7))));
    }

    private static OptionalInt optional(String key, Integer value, int min, int max) {
      return value == null ? OptionalInt.empty() : OptionalInt.of(between(key, value, min, max));
    }
  }
}
