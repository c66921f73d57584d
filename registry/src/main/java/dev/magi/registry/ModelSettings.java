package dev.magi.registry;

import java.util.List;
import java.util.Optional;

/**
 * Configuration for one GGUF file, found by its file stem.
 *
 * @param id the id to serve it under instead of the stem, if any
 * @param aliases other ids for it
 * @param launch how its server is started
 * @param contextConfigured whether its {@code context} was configured for it; if not, the context is
 *     the defaults' capped by what the model was trained for
 * @param kind what it is for, when configured; else what its header says
 */
public record ModelSettings(Optional<String> id, List<String> aliases, LaunchSettings launch,
    boolean contextConfigured, Optional<ModelKind> kind) {

  /** Settings whose kind the header tells. */
  public ModelSettings(Optional<String> id, List<String> aliases, LaunchSettings launch, boolean contextConfigured) {
    this(id, aliases, launch, contextConfigured, Optional.empty());
  }

  /** Copies the aliases. */
  public ModelSettings {
    aliases = List.copyOf(aliases);
  }

  /** No id override, no aliases, default launch settings. */
  public static ModelSettings defaults(LaunchSettings launch) {
    return new ModelSettings(Optional.empty(), List.of(), launch, false, Optional.empty());
  }
}
