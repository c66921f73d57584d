package dev.magi.retrieval;

/**
 * An uploaded file (OpenAI's {@code file} object) and its text.
 *
 * @param id {@code file-...}
 * @param filename the name it was uploaded under
 * @param purpose {@code assistants} or {@code user_data}
 * @param bytes its size
 * @param createdAt unix seconds
 * @param text its content, UTF-8
 */
public record StoredFile(String id, String filename, String purpose, long bytes, long createdAt, String text) {
}
