package dev.magi.retrieval;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts text into overlapping chunks of about {@code maxTokens} tokens, as OpenAI's static chunking
 * strategy does ({@code max_chunk_size_tokens}, {@code chunk_overlap_tokens}). Without the embedding
 * model's tokenizer at hand, a token is taken as 4 characters, and cuts fall on whitespace when one is
 * near, so words stay whole.
 */
public final class Chunker {

  /** Characters per token assumed. */
  public static final int CHARS_PER_TOKEN = 4;

  private Chunker() {
  }

  /**
   * @param maxTokens largest chunk, at least 100 (OpenAI: 100-4096, default 800)
   * @param overlapTokens tokens shared by neighbouring chunks, at most half of {@code maxTokens} (default 400)
   * @return the chunks, none empty; none for blank text
   */
  public static List<String> split(String text, int maxTokens, int overlapTokens) {
    String clean = text.strip();
    List<String> chunks = new ArrayList<>();
    if (clean.isEmpty()) {
      return chunks;
    }
    int size = maxTokens * CHARS_PER_TOKEN;
    int step = Math.max(1, size - overlapTokens * CHARS_PER_TOKEN);
    int start = 0;
    while (start < clean.length()) {
      int end = Math.min(clean.length(), start + size);
      if (end < clean.length()) {
        int space = clean.lastIndexOf(' ', end);
        if (space > start + size / 2) {
          end = space;
        }
      }
      String chunk = clean.substring(start, end).strip();
      if (!chunk.isEmpty()) {
        chunks.add(chunk);
      }
      if (end >= clean.length()) {
        break;
      }
      int next = start + step;
      int space = clean.indexOf(' ', next);
      start = space > 0 && space < end ? space + 1 : Math.min(next, end);
    }
    return chunks;
  }
}
