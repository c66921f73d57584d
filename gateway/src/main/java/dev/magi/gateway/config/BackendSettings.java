package dev.magi.gateway.config;

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

  /** Copies the aliases. */
  public BackendSettings {
    aliases = List.copyOf(aliases);
  }

  /** The protocol of the endpoint. */
  public BackendType type() {
    return endpoint.type();
  }
}
