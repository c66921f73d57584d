package dev.magi.servers;

import dev.magi.registry.ModelEntry;

/**
 * What one server instance runs: a model with its launch settings already decided.
 *
 * @param instance the instance's name: the model id for the first replica, {@code <id>#<n>} for others
 * @param model the model, with the launch settings this instance uses
 */
public record ServerSpec(String instance, ModelEntry model) {

  /** The instance name of replica {@code replica} (1-based) of {@code modelId}. */
  public static String instanceName(String modelId, int replica) {
    return replica == 1 ? modelId : modelId + "#" + replica;
  }
}
