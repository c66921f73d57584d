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
   * The fused ranking of {@code rankings} (each best first), at most {@code limit}, without those scoring
   * below {@code threshold}.
   */
  public static List<Match> fuse(List<List<Match>> rankings, int limit, double threshold) {
    Map<String, Match> first = new LinkedHashMap<>();
    Map<String, Double> scores = new LinkedHashMap<>();
    for (List<Match> ranking : rankings) {
      for (int i = 0; i < ranking.size(); i++) {
        Match match = ranking.get(i);
        first.putIfAbsent(match.chunkId(), match);
        scores.merge(match.chunkId(), 1.0 / (K + i + 1), Double::sum);
      }
    }
    double best = rankings.size() / (double) (K + 1);
    List<Match> fused = new ArrayList<>();
    scores.forEach((id, score) -> {
      Match match = first.get(id);
      fused.add(new Match(match.chunkId(), match.documentId(), match.text(), match.attributes(), score / best));
    });
    fused.sort(Comparator.comparingDouble(Match::score).reversed());
    return keep(fused, limit, threshold);
  }

  /** A ranking's matches with their scores replaced by the scaled reciprocal rank (the first scores 1). */
  public static List<Match> byRank(List<Match> ranking, int limit, double threshold) {
    return fuse(List.of(ranking), limit, threshold);
  }

  /**
   * Matches scoring at least {@code threshold}, at most {@code limit}. A threshold of 0 or less keeps
   * every match, a cosine similarity below 0 included.
   */
  public static List<Match> keep(List<Match> ranked, int limit, double threshold) {
    return ranked.stream().filter(m -> threshold <= 0 || m.score() >= threshold).limit(limit).toList();
  }
}
