package dev.magi.router;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A statement from one source (configuration, an Ollama listing) that a model is served by an endpoint.
 *
 * @param modelId the id clients use
 * @param aliases other names for it, possibly empty
 * @param endpoint where it is served
 * @param upstreamModel the name the endpoint knows it by
 * @param created when it appeared; shown by {@code /v1/models}
 * @param slots requests the backend runs at once; 0 lets the endpoint or its type decide
 */
public record ModelDeclaration(String modelId, List<String> aliases, Endpoint endpoint, String upstreamModel,
    Instant created, int slots) {

  /** A declaration whose slots the endpoint or its type decides. */
  public ModelDeclaration(String modelId, List<String> aliases, Endpoint endpoint, String upstreamModel,
      Instant created) {
    this(modelId, aliases, endpoint, upstreamModel, created, 0);
  }

  /** Checks for nulls and copies the aliases. */
  public ModelDeclaration {
    Objects.requireNonNull(modelId, "modelId");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(upstreamModel, "upstreamModel");
    aliases = List.copyOf(aliases);
    created = created == null ? Instant.EPOCH : created;
  }
}
