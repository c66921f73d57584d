package dev.magi.router;

import java.util.Arrays;
import java.util.Optional;

/** The protocol a backend speaks, which decides how requests are adapted and how health is checked. */
public enum BackendType {
  /** llama.cpp {@code llama-server}: OpenAI-compatible routes, {@code GET /health}. */
  LLAMA_SERVER("llama-server", "llamacpp", 4),
  /** Any other OpenAI-compatible server: bytes pass through, {@code GET /v1/models} as health. */
  OPENAI("openai", "openai-compatible", Backend.UNLIMITED),
  /** Ollama's native API ({@code /api/chat}, {@code /api/generate}, {@code /api/embed}). */
  OLLAMA("ollama", "ollama", 1),
  /**
   * Another Magi node of the cluster: Magi's own OpenAI API, {@code GET /readyz} as health. Its
   * requests carry the cluster's secret and are never forwarded again; the pools prefer local
   * backends to it.
   */
  MAGI("magi", "magi", Backend.UNLIMITED);

  private final String configName;
  private final String ownedBy;
  private final int defaultSlots;

  BackendType(String configName, String ownedBy, int defaultSlots) {
    this.configName = configName;
    this.ownedBy = ownedBy;
    this.defaultSlots = defaultSlots;
  }

  /**
   * Requests one backend of this type runs at once when neither configuration nor the server says:
   * llama-server's automatic 4 slots, Ollama's {@code OLLAMA_NUM_PARALLEL} default of 1 per model,
   * and no limit ({@link Backend#UNLIMITED}) for other OpenAI-compatible servers, whose capacity
   * cannot be read: their own 429 and 503 answers count as load, and a guessed limit would turn a
   * burst they could take into rejections.
   */
  public int defaultSlots() {
    return defaultSlots;
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
