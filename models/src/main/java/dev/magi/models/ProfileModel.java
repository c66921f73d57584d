package dev.magi.models;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One model of a profile and how it is served while the profile is active. Unset launch settings
 * come from the model's own settings in the registry.
 *
 * @param model a model id or alias (of the registry for local models, of the router otherwise)
 * @param source where it is served from
 * @param replicas how many servers run it (local models), at least 1
 * @param context tokens per request, when the profile sets them
 * @param parallel slots per server, when the profile sets them
 * @param gpuLayers layers offloaded, when the profile sets them
 * @param args extra llama-server arguments, when the profile sets them
 * @param onDemand started by the first request rather than at activation, stopped after {@code ttl} idle
 * @param ttl how long an on-demand model may sit idle before it is stopped
 */
public record ProfileModel(String model, ModelSource source, int replicas, OptionalInt context, OptionalInt parallel,
    OptionalInt gpuLayers, Optional<List<String>> args, boolean onDemand, Duration ttl) {

  /** Checks bounds. */
  public ProfileModel {
    if (replicas < 1) {
      throw new IllegalArgumentException("replicas must be at least 1");
    }
    args = args.map(List::copyOf);
  }

  /** A local model with one replica and the registry's settings. */
  public static ProfileModel local(String model) {
    return new ProfileModel(model, ModelSource.LOCAL, 1, OptionalInt.empty(), OptionalInt.empty(),
        OptionalInt.empty(), Optional.empty(), false, Duration.ofMinutes(10));
  }
}
