package dev.magi.retrieval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reciprocal rank fusion: each ranking gives a chunk {@code 1/(K + rank)} (rank from 1); the scores are
 * summed and scaled so that a chunk first in every ranking scores 1. It needs no calibration between a
 * cosine similarity and a BM25 score, which is why hybrid search engines use it.
 */
public final class RankFusion {

  /** The usual constant: it damps the weight of the very first ranks. */
  public static final int K = 60;

  private RankFusion() {
  }

  /**
   * The fused ranking of {@code rankings} (each best first, each counting as much as its weight), at most
   * {@code limit}, without those scoring below {@code threshold}. A chunk first in every ranking scores 1.
   */
  public static List<Match> fuse(List<List<Match>> rankings, double[] weights, int limit, double threshold) {
    Map<String, Match> first = new LinkedHashMap<>();
    Map<String, Double> scores = new LinkedHashMap<>();
    double best = 0;
    for (int r = 0; r < rankings.size(); r++) {
      List<Match> ranking = rankings.get(r);
      best += weights[r] / (K + 1);
      for (int i = 0; i < ranking.size(); i++) {
        Match match = ranking.get(i);
        first.putIfAbsent(match.chunkId(), match);
        scores.merge(match.chunkId(), weights[r] / (K + i + 1), Double::sum);
      }
    }
    double scale = best;
    List<Match> fused = new ArrayList<>();
    scores.forEach((id, score) -> {
      Match match = first.get(id);
      fused.add(new Match(match.chunkId(), match.documentId(), match.text(), match.attributes(), score / scale));
    });
    fused.sort(Comparator.comparingDouble(Match::score).reversed());
    return keep(fused, limit, threshold);
  }

  /**
   * The hybrid ranking of {@code query} ({@link SearchQuery.Ranker#AUTO}): {@code byVector} and
   * {@code byKeyword} fused with its weights. A ranking of weight 0 is left out (its search need not run:
   * pass an empty list).
   */
  public static List<Match> hybrid(List<Match> byVector, List<Match> byKeyword, SearchQuery query) {
    List<List<Match>> rankings = new ArrayList<>(2);
    double[] weights = new double[2];
    if (query.weights().vector() > 0) {
      weights[rankings.size()] = query.weights().vector();
      rankings.add(byVector);
    }
    if (query.weights().text() > 0) {
      weights[rankings.size()] = query.weights().text();
      rankings.add(byKeyword);
    }
    return fuse(rankings, weights, query.limit(), query.scoreThreshold());
  }

  /** A ranking's matches with their scores replaced by the scaled reciprocal rank (the first scores 1). */
  public static List<Match> byRank(List<Match> ranking, int limit, double threshold) {
    return fuse(List.of(ranking), new double[] {1}, limit, threshold);
  }

  /**
   * Matches scoring at least {@code threshold}, at most {@code limit}. A threshold of 0 or less keeps
   * every match, a cosine similarity below 0 included.
   */
  public static List<Match> keep(List<Match> ranked, int limit, double threshold) {
    return ranked.stream().filter(m -> threshold <= 0 || m.score() >= threshold).limit(limit).toList();
  }
}
