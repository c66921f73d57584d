package dev.magi.retrieval;

import java.util.Map;

/**
 * A chunk found by a search.
 *
 * @param chunkId the chunk's id
 * @param documentId its document
 * @param text its text
 * @param attributes its document's attributes
 * @param score cosine similarity to the query, 1 for the same direction
 */
public record Match(String chunkId, String documentId, String text, Map<String, Object> attributes, double score) {
}
