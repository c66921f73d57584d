package dev.magi.gateway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.magi.router.BackendType;
import dev.magi.router.Endpoint;
import java.util.List;
import java.util.Optional;

/**
 * One {@code backends:} entry. For {@code llama-server} and {@code openai} it names one model; for
 * {@code ollama} the model is optional: without it, every model the endpoint lists is served.
 *
 * @param model the id clients send, empty for an Ollama endpoint that serves all its models
 * @param endpoint where the backend is; validated
 * @param aliases other ids for the same model
 * @param upstreamModel the name the endpoint knows the model by; empty means the same as {@code model}
 * @param slots requests it runs at once; 0 lets the server (llama-server's {@code /props}) or its type decide
 */
public record BackendSettings(Optional<String> model, Endpoint endpoint, List<String> aliases,
    Optional<String> upstreamModel, int slots) {

  /** Checks the names and bounds, and copies the aliases. */
  public BackendSettings {
    model.ifPresent(m -> ConfigValues.modelName("model", m));
    aliases = ConfigValues.modelNames("aliases", List.copyOf(aliases));
    if (!aliases.isEmpty() && model.isEmpty()) {
      throw new ConfigException("aliases", "needs a model to be an alias of");
    }
    ConfigValues.between("slots", slots, 0, 100_000);
  }

  @JsonCreator
  static BackendSettings bind(@JsonProperty("model") String model, @JsonProperty("url") String url,
      @JsonProperty("type") String type, @JsonProperty("aliases") List<String> aliases,
      @JsonProperty("api_key") String apiKey, @JsonProperty("upstream_model") String upstreamModel,
      @JsonProperty("slots") Integer slots) {
    String typeName = ConfigValues.or(type, "llama-server");
    BackendType backendType = BackendType.byConfigName(typeName).orElseThrow(() ->
        new ConfigException("type", "must be llama-server, openai or ollama, got " + typeName));
    Optional<String> id = ConfigValues.text(model);
    if (id.isEmpty() && backendType != BackendType.OLLAMA) {
      throw new ConfigException("model", "is required for a " + typeName + " backend");
    }
    id.ifPresent(m -> ConfigValues.modelName("model", m));
    String address = ConfigValues.text(url).orElseThrow(() -> new ConfigException("url", "is required"));
    Optional<String> key = ConfigValues.text(apiKey);
    if (key.isPresent() && !Endpoint.isVisibleAscii(key.get())) {
      throw new ConfigException("api_key", "must be printable ASCII without spaces (it is sent as a header)");
    }
    Endpoint endpoint;
    try {
      endpoint = Endpoint.of(backendType, address, key.orElse(null));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("url", e.getMessage());
    }
    return new BackendSettings(id, endpoint, ConfigValues.nonBlank("aliases", aliases),
        ConfigValues.text(upstreamModel), ConfigValues.or(slots, 0));
  }

  /** The protocol of the endpoint. */
  public BackendType type() {
    return endpoint.type();
  }
}
