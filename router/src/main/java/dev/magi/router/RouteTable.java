package dev.magi.router;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable snapshot of which pool serves which model name. Readers get it from
 * {@link BackendDirectory#routes()} and may keep it for the length of one request.
 */
public final class RouteTable {

  /** A table with no models. */
  public static final RouteTable EMPTY = new RouteTable(List.of());

  private final List<BackendPool> pools;
  private final Map<String, BackendPool> byName;

  /**
   * Builds the lookup from pools. Ids win over aliases when a name is both.
   *
   * @param pools pools in the order {@code /v1/models} lists them
   */
  public RouteTable(List<BackendPool> pools) {
    this.pools = List.copyOf(pools);
    Map<String, BackendPool> names = new HashMap<>();
    for (BackendPool pool : this.pools) {
      for (String alias : pool.aliases()) {
        names.putIfAbsent(alias, pool);
      }
    }
    for (BackendPool pool : this.pools) {
      names.put(pool.modelId(), pool);
    }
    this.byName = Map.copyOf(names);
  }

  /**
   * Finds the pool for a model name a client sent: an id, an alias, or an Ollama name without its
   * {@code :latest} tag.
   *
   * @return the pool, or empty when no model has that name
   */
  public Optional<BackendPool> resolve(String name) {
    BackendPool pool = byName.get(name);
    if (pool == null && name.indexOf(':', name.lastIndexOf('/') + 1) < 0) {
      pool = byName.get(name + ":latest");
    }
    return Optional.ofNullable(pool);
  }

  /** Requests admitted to a backend or waiting for one, over every model, right now. */
  public int busy() {
    int busy = 0;
    for (BackendPool pool : pools) {
      busy += pool.busy();
    }
    return busy;
  }

  /** All pools, in listing order. */
  public List<BackendPool> pools() {
    return pools;
  }
}
