package dev.magi.retrieval;

import java.util.Map;

/**
 * A file attached to a vector store (OpenAI's {@code vector_store.file}), and how its ingestion went.
 *
 * @param storeId the vector store
 * @param fileId the file
 * @param status {@code in_progress}, {@code completed} or {@code failed}
 * @param error why it failed; empty otherwise
 * @param chunks how many chunks it became
 * @param attributes attributes given to its chunks
 * @param createdAt unix seconds
 */
public record Attachment(String storeId, String fileId, String status, String error, int chunks,
    Map<String, Object> attributes, long createdAt) {

  /** Copies the attributes. */
  public Attachment {
    attributes = Map.copyOf(attributes);
  }

  /** The same attachment with another status. */
  public Attachment with(String newStatus, String newError, int newChunks) {
    return new Attachment(storeId, fileId, newStatus, newError, newChunks, attributes, createdAt);
  }
}
