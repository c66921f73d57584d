package dev.magi.retrieval;

import java.util.Objects;
import java.util.Optional;

/**
 * What a search asks for: chunks like {@code vector} (by meaning), containing the words of {@code text}
 * (by keyword, BM25-like), or both fused by reciprocal rank ({@link Ranker#AUTO}).
 *
 * @param vector the query's embedding (needed unless the ranker is {@link Ranker#KEYWORD}, or
 *     {@link Ranker#AUTO} with a vector weight of 0)
 * @param text the query's words (needed unless the ranker is {@link Ranker#VECTOR})
 * @param limit most matches returned
 * @param filter what the chunks' attributes must pass
 * @param ranker how matches are found and ordered
 * @param scoreThreshold matches scoring below it are left out (0 keeps all)
 * @param weights how much each ranking counts in a fused one ({@link Ranker#AUTO})
 */
public record SearchQuery(float[] vector, String text, int limit, Optional<Filter> filter, Ranker ranker,
    double scoreThreshold, Weights weights) {

  /**
   * The weights of the vector and the keyword rankings in a fused one (OpenAI's
   * {@code ranking_options.hybrid_search}: {@code embedding_weight}, {@code text_weight}). A ranking of
   * weight 0 is not run.
   */
  public record Weights(double vector, double text) {
    /** Both rankings count alike. */
    public static final Weights EQUAL = new Weights(1, 1);

    /** Checks that neither is negative or not a number, and that one counts. */
    public Weights {
      if (!(vector >= 0) || !(text >= 0) || vector + text == 0 || Double.isInfinite(vector + text)) {
        throw new IllegalArgumentException("weights must be finite, at least 0 and not both 0: " + vector + ", "
            + text);
      }
    }
  }

  /** A query whose rankings, when fused, count alike. */
  public SearchQuery(float[] vector, String text, int limit, Optional<Filter> filter, Ranker ranker,
      double scoreThreshold) {
    this(vector, text, limit, filter, ranker, scoreThreshold, Weights.EQUAL);
  }

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
    Objects.requireNonNull(weights, "weights");
    if (byMeaning(ranker, weights)) {
      Objects.requireNonNull(vector, "vector");
    }
    if (ranker != Ranker.VECTOR) {
      Objects.requireNonNull(text, "text");
    }
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
  }

  /** Whether a search ranked so runs a ranking by meaning (and needs the query's embedding). */
  public static boolean byMeaning(Ranker ranker, Weights weights) {
    return ranker == Ranker.VECTOR || ranker == Ranker.AUTO && weights.vector() > 0;
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
