package dev.magi.registry;

/**
 * What Magi reads from a GGUF header. Numbers that the file does not state are 0 (or -1 for the
 * pooling type); strings it does not state are empty.
 *
 * @param version GGUF version (2 or 3)
 * @param tensorCount number of tensors declared
 * @param architecture {@code general.architecture} ({@code llama}, {@code qwen2}, {@code bert}, ...)
 * @param name {@code general.name}
 * @param sizeLabel {@code general.size_label} ({@code 0.5B})
 * @param quantization {@code general.file_type} as a name ({@code Q4_K_M}, {@code F16}, ...)
 * @param contextLength {@code <arch>.context_length}, the context the model was trained for
 * @param blockCount {@code <arch>.block_count}, the number of layers
 * @param embeddingLength {@code <arch>.embedding_length}
 * @param headCount {@code <arch>.attention.head_count}
 * @param headCountKv {@code <arch>.attention.head_count_kv} (equals {@code headCount} when absent)
 * @param poolingType {@code <arch>.pooling_type}: -1 unstated, 0 none, 1 mean, 2 cls, 3 last, 4 rank
 * @param hasChatTemplate whether {@code tokenizer.chat_template} is present
 */
public record GgufMetadata(int version, long tensorCount, String architecture, String name, String sizeLabel,
    String quantization, long contextLength, long blockCount, long embeddingLength, long headCount,
    long headCountKv, int poolingType, boolean hasChatTemplate) {

  /** {@code pooling_type} of a reranker: it scores a query and a document together. */
  public static final int POOLING_RANK = 4;

  private static final java.util.Set<String> EMBEDDING_ARCHITECTURES = java.util.Set.of("bert", "nomic-bert",
      "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "t5encoder", "neo-bert", "modern-bert");

  /** Whether the model makes embeddings rather than text: it pools, or its architecture only encodes. */
  public boolean isEmbedding() {
    return poolingType > 0 || EMBEDDING_ARCHITECTURES.contains(architecture);
  }

  /** llama.cpp's {@code --pooling} value for this model, or empty when it does not pool. */
  public String poolingName() {
    return switch (poolingType) {
      case 1 -> "mean";
      case 2 -> "cls";
      case 3 -> "last";
      case 4 -> "rank";
      default -> isEmbedding() ? "mean" : "";
    };
  }
}
