package dev.magi.registry;

import java.util.List;
import java.util.Map;

/**
 * How a model's server is launched.
 *
 * @param context tokens one request can use; the server gets {@code context × parallel} in all
 * @param parallel slots: requests the server runs at once ({@code -np})
 * @param gpuLayers layers to offload ({@code -ngl}); -1 leaves llama-server's own default
 * @param args extra command-line arguments, appended as given
 * @param env environment variables the server gets beyond the allowed part of Magi's own (its values
 *     may be secrets: they are never listed by the admin API or written to the registry file)
 */
public record LaunchSettings(int context, int parallel, int gpuLayers, List<String> args, Map<String, String> env) {

  /** 4096 tokens per request, 2 slots, llama-server's own GPU default, no extra arguments. */
  public static final LaunchSettings DEFAULTS = new LaunchSettings(4096, 2, -1, List.of());

  /** Checks bounds and copies the arguments and the environment. */
  public LaunchSettings {
    if (context < 1 || parallel < 1) {
      throw new IllegalArgumentException("context and parallel must be at least 1");
    }
    args = List.copyOf(args);
    env = Map.copyOf(env);
  }

  /** Settings with no environment of their own. */
  public LaunchSettings(int context, int parallel, int gpuLayers, List<String> args) {
    this(context, parallel, gpuLayers, args, Map.of());
  }

  /** The total context the server is started with ({@code -c}). */
  public long totalContext() {
    return (long) context * parallel;
  }
}
