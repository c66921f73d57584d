package dev.magi.retrieval;

import io.vertx.core.Future;
import java.util.List;

/** Turns texts into vectors with a model; the gateway provides one on top of its router. */
@FunctionalInterface
public interface Embedder {

  /**
   * Embeds {@code texts} with {@code model}, in order.
   *
   * @return one vector per text; a failed future when the model cannot be reached or refuses
   */
  Future<List<float[]>> embed(String model, List<String> texts);
}
