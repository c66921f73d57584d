package dev.magi.retrieval;

import java.util.Objects;
import java.util.Optional;

/**
 * What a search asks for: chunks like {@code vector} (by meaning), containing the words of {@code text}
 * (by keyword, BM25-like), or both fused by reciprocal rank ({@link Ranker#AUTO}).
 *
 * @param vector the query's embedding (needed unless the ranker is {@link Ranker#KEYWORD})
 * @param text the query's words (needed unless the ranker is {@link Ranker#VECTOR})
 * @param limit most matches returned
 * @param filter what the chunks' attributes must pass
 * @param ranker how matches are found and ordered
 * @param scoreThreshold matches scoring below it are left out (0 keeps all)
 */
public record SearchQuery(float[] vector, String text, int limit, Optional<Filter> filter, Ranker ranker,
    double scoreThreshold) {

  /** How a search finds and orders its matches. */
  public enum Ranker {
    /**
     * Hybrid: the vector ranking and the keyword ranking fused by reciprocal rank
     * ({@code 1/(60 + rank)} summed); a chunk first in both scores 1, first in one only about 0.5.
     */
    AUTO,
    /** By cosine similarity alone; the score is the similarity. */
    VECTOR,
    /** By keywords alone (BM25); the score is the reciprocal rank scaled so that the first scores 1. */
    KEYWORD
  }

  /** Checks what the ranker needs. */
  public SearchQuery {
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(ranker, "ranker");
    if (ranker != Ranker.KEYWORD) {
      Objects.requireNonNull(vector, "vector");
    }
    if (ranker != Ranker.VECTOR) {
      Objects.requireNonNull(text, "text");
    }
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
  }

  /** A search by meaning only. */
  public static SearchQuery byVector(float[] vector, int limit, Optional<Filter> filter) {
    return new SearchQuery(vector, null, limit, filter, Ranker.VECTOR, 0);
  }

  /** How many candidates each ranking contributes to a fused one. */
  public int candidates() {
    return Math.min(1000, Math.max(limit * 4, 40));
  }
}
