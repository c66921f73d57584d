package dev.magi.registry;

/** What a model is for. */
public enum ModelKind {
  /** Generates text: chat and completions. */
  CHAT,
  /** Makes embeddings; its server is started with {@code --embeddings}. */
  EMBEDDING;

  /** Lower-case name used in JSON. */
  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
