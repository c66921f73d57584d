package dev.magi.servers;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The environment a model server is started with: only the part of Magi's own that a llama-server
 * needs to find its libraries, GPUs, locale and caches, plus the model's configured {@code env}.
 * Everything else stays home: Magi's tokens and API keys, {@code DATABASE_URL}, {@code PGPASSWORD},
 * and any other secret its environment holds.
 */
public final class ChildEnvironment {

  /** Variables passed on by name. */
  static final List<String> NAMES = List.of("PATH", "HOME", "LANG", "TZ", "LD_LIBRARY_PATH", "HF_HOME", "TMPDIR");
  /** Variables passed on by prefix: locale, GPU runtimes (CUDA, ROCm/HIP), ggml, llama.cpp, OpenMP. */
  static final List<String> PREFIXES = List.of("LC_", "CUDA_", "HIP_", "ROCR_", "GGML_", "LLAMA_", "OMP_");

  private ChildEnvironment() {
  }

  /**
   * The allowed part of {@code inherited}, with {@code configured} added over it.
   *
   * @return a new map, sorted by name
   */
  public static Map<String, String> of(Map<String, String> inherited, Map<String, String> configured) {
    Map<String, String> env = new TreeMap<>();
    inherited.forEach((name, value) -> {
      if (allowed(name)) {
        env.put(name, value);
      }
    });
    env.putAll(configured);
    return env;
  }

  /** Whether a variable of Magi's own environment is passed on to model servers. */
  public static boolean allowed(String name) {
    return NAMES.contains(name) || PREFIXES.stream().anyMatch(name::startsWith);
  }
}
