package dev.magi.retrieval;

import java.util.Map;

/**
 * What a collection (an OpenAI "vector store") is.
 *
 * @param id its id ({@code vs_...}), also its table name
 * @param name the name its creator gave
 * @param embeddingModel the model its chunks are embedded with
 * @param dimensions the length of its vectors
 * @param createdAt unix seconds
 * @param metadata its creator's key-value metadata
 */
public record CollectionInfo(String id, String name, String embeddingModel, int dimensions, long createdAt,
    Map<String, String> metadata) {

  /** Checks the id and copies the metadata. */
  public CollectionInfo {
    VectorStore.checkCollection(id);
    metadata = Map.copyOf(metadata);
  }
}
