package dev.magi.router;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one owner of "which backends serve which model". Sources (static configuration, each Ollama
 * endpoint's listing, later managed servers) replace their own declarations; the directory merges
 * them into a new {@link RouteTable} that readers pick up without locks.
 *
 * <p>Declarations of the same model id from several sources become replicas in one pool.
 * A backend that survives a rebuild keeps its identity, so its in-flight count carries over.
 */
public final class BackendDirectory {

  private java.util.function.Function<String, LoadBalancer> policies;
  private AdmissionQueue.Limits queueLimits;
  private final Map<String, List<ModelDeclaration>> sources = new LinkedHashMap<>();
  private final Map<String, Backend> backends = new HashMap<>();
  private final Map<String, AdmissionQueue> queues = new HashMap<>();
  private final Map<String, LoadBalancer> balancers = new HashMap<>();
  private final Map<String, RetryBudget> budgets = new HashMap<>();
  private final Set<String> expectedBack = new java.util.HashSet<>();
  private volatile RouteTable routes = RouteTable.EMPTY;

  /**
   * @param policies makes the balancer of each model (called once per model, kept across rebuilds)
   * @param queueLimits how many requests may wait per model, and for how long
   */
  public BackendDirectory(java.util.function.Function<String, LoadBalancer> policies,
      AdmissionQueue.Limits queueLimits) {
    this.policies = policies;
    this.queueLimits = queueLimits;
  }

  /** A directory with one policy for every model and the default queue limits. */
  public BackendDirectory(LoadBalancer policy) {
    this(model -> policy, AdmissionQueue.Limits.DEFAULTS);
  }

  /** The current snapshot; never null. */
  public RouteTable routes() {
    return routes;
  }

  /**
   * Replaces everything {@code source} declared before with {@code declarations}.
   *
   * @param source a stable name of the source, e.g. {@code config} or an endpoint's name
   */
  public synchronized void replace(String source, List<ModelDeclaration> declarations) {
    sources.put(source, List.copyOf(declarations));
    rebuild();
  }

  /**
   * Like {@link #replace}, for a source whose server of {@code modelId} went away and is expected back
   * (restarting after a crash): if that leaves the model without backends, its queue is kept, and
   * requests keep waiting in it (within their queue wait) instead of failing, until a source declares
   * the model again. {@link #replace} with the model gone for good drops the queue as usual.
   */
  public synchronized void replaceExpectingBack(String source, List<ModelDeclaration> declarations, String modelId) {
    sources.put(source, List.copyOf(declarations));
    expectedBack.add(modelId);
    rebuild();
  }

  /** The model is not coming back after all: requests waiting for it fail now. */
  public synchronized void notExpectedBack(String modelId) {
    if (expectedBack.remove(modelId)) {
      rebuild();
    }
  }

  /**
   * New balancing policies and queue limits, for a configuration reloaded while Magi runs: every
   * model's balancer is made again, and every queue takes the new limits (requests already waiting
   * keep their deadline).
   */
  public synchronized void reconfigure(java.util.function.Function<String, LoadBalancer> policies,
      AdmissionQueue.Limits queueLimits) {
    this.policies = policies;
    this.queueLimits = queueLimits;
    balancers.clear();
    queues.values().forEach(queue -> queue.limits(queueLimits));
    rebuild();
  }

  /** Every distinct endpoint named by any source, in declaration order. */
  public synchronized Collection<Endpoint> endpoints() {
    Set<Endpoint> result = new LinkedHashSet<>();
    sources.values().forEach(list -> list.forEach(d -> result.add(d.endpoint())));
    return List.copyOf(result);
  }

  private void rebuild() {
    Map<String, List<ModelDeclaration>> byModel = new LinkedHashMap<>();
    for (List<ModelDeclaration> declarations : sources.values()) {
      for (ModelDeclaration d : declarations) {
        byModel.computeIfAbsent(d.modelId(), id -> new ArrayList<>()).add(d);
      }
    }
    Map<String, Backend> kept = new HashMap<>();
    List<BackendPool> pools = new ArrayList<>();
    for (Map.Entry<String, List<ModelDeclaration>> entry : byModel.entrySet()) {
      Set<String> aliases = new LinkedHashSet<>();
      List<Backend> replicas = new ArrayList<>();
      var created = entry.getValue().get(0).created();
      for (ModelDeclaration d : entry.getValue()) {
        aliases.addAll(d.aliases());
        Backend fresh = new Backend(d.endpoint(), d.modelId(), d.upstreamModel(), d.slots());
        Backend backend = backends.getOrDefault(fresh.key(), fresh);
        if (backend.endpoint() != d.endpoint()) {
          backend = fresh;
        }
        if (kept.putIfAbsent(backend.key(), backend) == null) {
          replicas.add(backend);
        }
      }
      aliases.remove(entry.getKey());
      // A model's queue outlives rebuilds: requests waiting for it keep their place.
      AdmissionQueue queue = queues.computeIfAbsent(entry.getKey(), id -> new AdmissionQueue(id, queueLimits));
      replicas.forEach(backend -> backend.queue(queue));
      LoadBalancer balancer = balancers.computeIfAbsent(entry.getKey(), policies);
      RetryBudget budget = budgets.computeIfAbsent(entry.getKey(), id -> new RetryBudget());
      pools.add(new BackendPool(entry.getKey(), List.copyOf(aliases), created, replicas, balancer, queue, budget));
    }
    backends.clear();
    backends.putAll(kept);
    routes = new RouteTable(pools);
    for (BackendPool pool : pools) {
      pool.queue().pool(pool);
    }
    // Models that disappeared: their waiters learn there is nothing to wait for, unless the model is
    // expected back.
    expectedBack.removeIf(byModel::containsKey);
    queues.entrySet().removeIf(entry -> {
      if (byModel.containsKey(entry.getKey())) {
        return false;
      }
      if (expectedBack.contains(entry.getKey())) {
        entry.getValue().suspend();
        return false;
      }
      entry.getValue().drop();
      balancers.remove(entry.getKey());
      budgets.remove(entry.getKey());
      return true;
    });
  }
}
