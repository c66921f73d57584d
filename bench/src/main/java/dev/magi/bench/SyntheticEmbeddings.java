package dev.magi.bench;

import java.util.SplittableRandom;

/**
 * Made-up unit vectors with the structure that decides how an approximate index fares (no embedding
 * model runs here). Two shapes:
 * <ul>
 *   <li>{@link #embeddingLike}: topics, each with subtopics, and each point spread around its subtopic
 *       in a few directions of its topic's own (24 of the 768), plus a little noise in all. Text
 *       embeddings are like that: they cluster by subject, and within a subject they vary along few
 *       directions (their intrinsic dimension is tens, not hundreds), so a point's nearest neighbours
 *       are clearly nearer than the rest of its cluster.
 *   <li>{@link #isotropic}: clusters whose points are spread equally in every direction. Within a
 *       cluster, every point is then almost as far from a query as its true neighbours: the hardest
 *       case for any graph index, which real embeddings are not.
 * </ul>
 * Queries are drawn the same way as the data.
 */
abstract class SyntheticEmbeddings {

  /** The next vector, from {@code random}. */
  abstract float[] next(SplittableRandom random);

  /** {@code clusters} centres, each point the centre plus noise of about the same size, in every direction. */
  static SyntheticEmbeddings isotropic(SplittableRandom random, int dims, int clusters) {
    float[][] centres = new float[clusters][];
    for (int c = 0; c < clusters; c++) {
      centres[c] = unit(random, dims);
    }
    return new SyntheticEmbeddings() {
      @Override
      float[] next(SplittableRandom r) {
        float[] centre = centres[r.nextInt(clusters)];
        float[] noise = unit(r, dims);
        float[] v = new float[dims];
        for (int i = 0; i < dims; i++) {
          v[i] = centre[i] + 0.8f * noise[i];
        }
        return normalise(v);
      }
    };
  }

  /** Directions of variation within a topic. */
  private static final int TOPIC_DIRECTIONS = 24;
  private static final int SUBTOPICS = 10;

  /** {@code topics} topics of {@link #SUBTOPICS} subtopics each: see the class comment. */
  static SyntheticEmbeddings embeddingLike(SplittableRandom random, int dims, int topics) {
    float[][] subtopics = new float[topics * SUBTOPICS][];
    float[][][] directions = new float[topics][TOPIC_DIRECTIONS][];
    for (int t = 0; t < topics; t++) {
      float[] centre = unit(random, dims);
      for (int d = 0; d < TOPIC_DIRECTIONS; d++) {
        directions[t][d] = unit(random, dims);
      }
      for (int s = 0; s < SUBTOPICS; s++) {
        float[] offset = unit(random, dims);
        float[] subtopic = new float[dims];
        for (int i = 0; i < dims; i++) {
          subtopic[i] = centre[i] + 0.5f * offset[i];
        }
        subtopics[t * SUBTOPICS + s] = normalise(subtopic);
      }
    }
    return new SyntheticEmbeddings() {
      @Override
      float[] next(SplittableRandom r) {
        int s = r.nextInt(subtopics.length);
        float[][] topic = directions[s / SUBTOPICS];
        float[] v = subtopics[s].clone();
        for (float[] direction : topic) {
          float weight = (float) (r.nextGaussian() * 0.6 / Math.sqrt(TOPIC_DIRECTIONS));
          for (int i = 0; i < dims; i++) {
            v[i] += weight * direction[i];
          }
        }
        float[] noise = unit(r, dims);
        for (int i = 0; i < dims; i++) {
          v[i] += 0.1f * noise[i];
        }
        return normalise(v);
      }
    };
  }

  static float[] unit(SplittableRandom random, int dims) {
    float[] v = new float[dims];
    for (int i = 0; i < dims; i++) {
      v[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return normalise(v);
  }

  /** {@code v} scaled to length 1, in place. */
  static float[] normalise(float[] v) {
    double norm = 0;
    for (float x : v) {
      norm += x * x;
    }
    float scale = (float) (1 / Math.sqrt(norm));
    for (int i = 0; i < v.length; i++) {
      v[i] *= scale;
    }
    return v;
  }
}
