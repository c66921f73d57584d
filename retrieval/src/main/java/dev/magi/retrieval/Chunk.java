package dev.magi.retrieval;

import java.util.Map;
import java.util.Objects;

/**
 * One embedded piece of a document.
 *
 * @param id unique in its collection ({@code <documentId>:<index>})
 * @param documentId the document (or file) it was cut from
 * @param index its position in the document
 * @param text the text that was embedded
 * @param vector its embedding
 * @param attributes the document's attributes: string, number or boolean values, for filtering
 */
public record Chunk(String id, String documentId, int index, String text, float[] vector,
    Map<String, Object> attributes) {

  /** Checks for nulls and copies the attributes. */
  public Chunk {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(documentId, "documentId");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(vector, "vector");
    attributes = Map.copyOf(attributes);
  }
}
