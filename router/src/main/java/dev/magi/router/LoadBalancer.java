package dev.magi.router;

import java.util.List;

/**
 * A policy that picks one backend out of candidates. Policies are stateless and safe to share.
 */
@FunctionalInterface
public interface LoadBalancer {

  /**
   * Picks the backend with the fewest requests in flight; ties go to the earliest candidate.
   */
  LoadBalancer LEAST_OUTSTANDING = candidates -> {
    Backend best = null;
    for (Backend candidate : candidates) {
      if (best == null || candidate.inFlight() < best.inFlight()) {
        best = candidate;
      }
    }
    return best;
  };

  /**
   * Picks one of {@code candidates}.
   *
   * @param candidates backends that may serve the request, never empty
   * @return one of the candidates, never null
   */
  Backend select(List<Backend> candidates);
}
