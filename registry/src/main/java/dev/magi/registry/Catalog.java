package dev.magi.registry;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An immutable snapshot of the model catalogue.
 *
 * @param models every model file found, valid or not, sorted by id
 * @param updatedAt when the scan that produced it finished
 */
public record Catalog(List<ModelEntry> models, Instant updatedAt) {

  /** A catalogue with no models, as before the first scan. */
  public static final Catalog EMPTY = new Catalog(List.of(), Instant.EPOCH);

  /** Copies the list. */
  public Catalog {
    models = List.copyOf(models);
  }

  /**
   * Finds a model by id or alias.
   *
   * @return the entry, or empty when no model answers to {@code name}
   */
  public Optional<ModelEntry> find(String name) {
    return models.stream().filter(m -> m.id().equals(name)).findFirst()
        .or(() -> models.stream().filter(m -> m.answersTo(name)).findFirst());
  }
}
