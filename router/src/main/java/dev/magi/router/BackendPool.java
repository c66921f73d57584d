package dev.magi.router;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * All backends that serve one model id, and the policy that chooses among them.
 *
 * @param modelId the id clients use
 * @param aliases other names clients may use for the same model
 * @param created when the model appeared, for {@code /v1/models}
 * @param backends the replicas, never empty
 * @param policy how one replica is chosen
 * @param queue where requests wait for a free slot
 * @param retries how many retries the model's requests may take at once
 */
public record BackendPool(String modelId, List<String> aliases, Instant created, List<Backend> backends,
    LoadBalancer policy, AdmissionQueue queue, RetryBudget retries) {

  /** A pool with its own queue of default limits and its own budget (for tests and one-off pools). */
  public BackendPool(String modelId, List<String> aliases, Instant created, List<Backend> backends,
      LoadBalancer policy) {
    this(modelId, aliases, created, backends, policy, new AdmissionQueue(modelId, AdmissionQueue.Limits.DEFAULTS),
        new RetryBudget());
  }

  /** Copies the lists. */
  public BackendPool {
    aliases = List.copyOf(aliases);
    backends = List.copyOf(backends);
    if (backends.isEmpty()) {
      throw new IllegalArgumentException("a pool needs at least one backend: " + modelId);
    }
  }

  /**
   * Chooses a backend for one request, skipping those in {@code exclude} (already tried).
   * Healthy or not-yet-checked endpoints are preferred; when none is left, the others are tried
   * too, since a health verdict may be a few seconds old.
   *
   * @return a backend, or empty when every backend is excluded
   */
  public Optional<Backend> select(Collection<Backend> exclude) {
    return select(backend -> !exclude.contains(backend));
  }

  /**
   * Chooses a backend with a free slot, skipping {@code exclude}; healthy endpoints first, as
   * {@link #select(Collection)} does.
   *
   * @return a backend with a free slot, or empty when every candidate is busy or excluded
   */
  public Optional<Backend> selectFree(Collection<Backend> exclude) {
    return select(backend -> !exclude.contains(backend) && backend.hasFreeSlot());
  }

  /**
   * The policy's choice among the eligible backends: healthy local ones first, then healthy other
   * nodes of the cluster ({@link BackendType#MAGI}), then the rest.
   */
  private Optional<Backend> select(java.util.function.Predicate<Backend> eligible) {
    List<Backend> preferred = new ArrayList<>(backends.size());
    List<Backend> remote = new ArrayList<>(0);
    List<Backend> rest = new ArrayList<>(backends.size());
    for (Backend backend : backends) {
      if (eligible.test(backend)) {
        boolean healthy = backend.endpoint().health().mayServe();
        (!healthy ? rest : backend.endpoint().type() == BackendType.MAGI ? remote : preferred).add(backend);
      }
    }
    List<Backend> candidates = !preferred.isEmpty() ? preferred : !remote.isEmpty() ? remote : rest;
    return candidates.isEmpty() ? Optional.empty() : Optional.of(policy.select(candidates));
  }

  /** Whether any backend outside {@code exclude}, and not ejected, exists to wait for. */
  public boolean hasCandidate(Collection<Backend> exclude) {
    for (Backend backend : backends) {
      if (!exclude.contains(backend) && !backend.endpoint().outliers().isEjected()) {
        return true;
      }
    }
    return false;
  }

  /** Requests of this model admitted to a backend or waiting in its queue, right now. */
  public int busy() {
    int busy = queue.waiting();
    for (Backend backend : backends) {
      busy += backend.inFlight();
    }
    return busy;
  }

  /** What {@code /v1/models} reports as owner: the type of the first backend. */
  public String ownedBy() {
    return backends.get(0).endpoint().type().ownedBy();
  }

  /** Whether at least one backend's endpoint passed its last health check. */
  public boolean hasHealthyBackend() {
    return backends.stream().anyMatch(b -> b.endpoint().health() == Health.HEALTHY);
  }
}
