package dev.magi.registry;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One model file in the catalogue, valid or not.
 *
 * @param id the id clients use (the file stem unless configured otherwise)
 * @param aliases other ids
 * @param path the file's real path (the first part of a split model)
 * @param file the path relative to the models directory, for display
 * @param sizeBytes bytes on disk, all parts of a split model together
 * @param parts number of files the model is split into (1 when not split)
 * @param mmproj a multimodal projector found beside it, if any
 * @param kind chat or embedding; chat when the header could not be read
 * @param metadata what the header says; empty when the file is invalid
 * @param invalidReason why the file cannot be served; empty when it can
 * @param launch how its server is started
 * @param memoryEstimateBytes the memory its server needs, see {@link MemoryEstimate}
 */
public record ModelEntry(String id, List<String> aliases, Path path, String file, long sizeBytes, int parts,
    Optional<Path> mmproj, ModelKind kind, Optional<GgufMetadata> metadata, Optional<String> invalidReason,
    LaunchSettings launch, long memoryEstimateBytes) {

  /** Copies the aliases. */
  public ModelEntry {
    aliases = List.copyOf(aliases);
  }

  /** Whether a server can be started for it. */
  public boolean valid() {
    return invalidReason.isEmpty();
  }

  /** The same model launched with other settings; its memory estimate follows them. */
  public ModelEntry withLaunch(LaunchSettings other) {
    return new ModelEntry(id, aliases, path, file, sizeBytes, parts, mmproj, kind, metadata, invalidReason, other,
        MemoryEstimate.bytes(sizeBytes, metadata.orElse(null), other));
  }

  /** Whether {@code name} is its id or one of its aliases. */
  public boolean answersTo(String name) {
    return id.equals(name) || aliases.contains(name);
  }
}
