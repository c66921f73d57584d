package dev.magi.models;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Where a profile's model is served from. */
public enum ModelSource {
  /** A GGUF from the registry, served by llama-server processes Magi runs (the default). */
  LOCAL,
  /** An Ollama backend serves it; Magi starts nothing. */
  OLLAMA,
  /** A static backend from {@code backends:} serves it; Magi starts nothing. */
  REMOTE;

  /** The configuration name. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The source named {@code name} in configuration, or empty. */
  public static Optional<ModelSource> byConfigName(String name) {
    return Arrays.stream(values()).filter(s -> s.configName().equals(name)).findFirst();
  }
}
