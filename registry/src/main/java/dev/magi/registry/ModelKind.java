package dev.magi.registry;

/** What a model is for. */
public enum ModelKind {
  /** Generates text: chat and completions. */
  CHAT,
  /** Makes embeddings; its server is started with {@code --embeddings}. */
  EMBEDDING,
  /**
   * Scores documents against a query ({@code /v1/rerank}); its server is started with
   * {@code --reranking}. A GGUF whose pooling type is rank is one, or a file configured {@code kind: rerank}.
   */
  RERANK;

  /** Lower-case name used in JSON. */
  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
