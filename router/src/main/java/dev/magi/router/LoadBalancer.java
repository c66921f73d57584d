package dev.magi.router;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * A policy that picks one backend out of candidates that all have a free slot. Instances keep only
 * the state their policy needs (a counter for round robin) and are safe to share between threads.
 */
@FunctionalInterface
public interface LoadBalancer {

  /** Picks the backend with the fewest requests in flight; ties go to the earliest candidate. */
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

  /** Takes the candidates in turn. */
  static LoadBalancer roundRobin() {
    AtomicLong next = new AtomicLong();
    return candidates -> candidates.get((int) Math.floorMod(next.getAndIncrement(), (long) candidates.size()));
  }

  /**
   * Power of two choices (Mitzenmacher; Finagle's and Linkerd's default): two random candidates, the
   * one with fewer requests in flight wins, ties go to the lower time-to-first-event average.
   *
   * @param random the source of choices; seeded in tests
   */
  static LoadBalancer powerOfTwoChoices(RandomGenerator random) {
    return candidates -> {
      int size = candidates.size();
      if (size == 1) {
        return candidates.get(0);
      }
      int i = random.nextInt(size);
      int j = random.nextInt(size - 1);
      if (j >= i) {
        j++;
      }
      Backend a = candidates.get(i);
      Backend b = candidates.get(j);
      if (a.inFlight() != b.inFlight()) {
        return a.inFlight() < b.inFlight() ? a : b;
      }
      return b.firstEventMillis() < a.firstEventMillis() ? b : a;
    };
  }

  /**
   * A fresh balancer by its configuration name: {@code round_robin}, {@code least_outstanding},
   * {@code p2c}.
   *
   * @return the balancer, or empty for an unknown name
   */
  static Optional<LoadBalancer> named(String name, RandomGenerator random) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "round_robin" -> Optional.of(roundRobin());
      case "least_outstanding" -> Optional.of(LEAST_OUTSTANDING);
      case "p2c" -> Optional.of(powerOfTwoChoices(random));
      default -> Optional.empty();
    };
  }
}
