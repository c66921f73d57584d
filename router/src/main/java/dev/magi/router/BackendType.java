package dev.magi.router;

import java.util.Arrays;
import java.util.Optional;

/** The protocol a backend speaks, which decides how requests are adapted and how health is checked. */
public enum BackendType {
  /** llama.cpp {@code llama-server}: OpenAI-compatible routes, {@code GET /health}. */
  LLAMA_SERVER("llama-server", "llamacpp"),
  /** Any other OpenAI-compatible server: bytes pass through, {@code GET /v1/models} as health. */
  OPENAI("openai", "openai-compatible"),
  /** Ollama's native API ({@code /api/chat}, {@code /api/generate}, {@code /api/embed}). */
  OLLAMA("ollama", "ollama");

  private final String configName;
  private final String ownedBy;

  BackendType(String configName, String ownedBy) {
    this.configName = configName;
    this.ownedBy = ownedBy;
  }

  /** The name used in configuration ({@code llama-server}, {@code openai}, {@code ollama}). */
  public String configName() {
    return configName;
  }

  /** What {@code /v1/models} reports as {@code owned_by} for models of this type. */
  public String ownedBy() {
    return ownedBy;
  }

  /** Whether responses are in OpenAI's format already, so their bytes can pass through unchanged. */
  public boolean speaksOpenAi() {
    return this != OLLAMA;
  }

  /**
   * Finds a type by its configuration name.
   *
   * @return the type, or empty when no type has that name
   */
  public static Optional<BackendType> byConfigName(String name) {
    return Arrays.stream(values()).filter(t -> t.configName.equals(name)).findFirst();
  }
}
