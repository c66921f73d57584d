package dev.magi.models;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Decides, without doing anything, whether a model can be loaded within the memory budget and which
 * models must be unloaded first (a pure function over a snapshot; see STYLE.md "decide in pure code").
 *
 * <p>Models are unloaded at once only when idle (nothing in flight, nothing queued, not loading) and
 * not pinned, least recently used first, and only as many as needed. When that is not enough but
 * unloading busy models too would make room, the load waits for them ({@link Wait}): the swap
 * scheduler lets a busy model finish what it has before it is swapped out, up to a starvation bound.
 * When even unloading every model that is not pinned would not make room, the load is refused.
 */
public final class Eviction {

  private Eviction() {
  }

  /** What to do before loading a model. */
  public sealed interface Decision {
  }

  /** It fits as things are. */
  public record Fits() implements Decision {
  }

  /**
   * It fits once these models are unloaded.
   *
   * @param models model ids, in the order to unload them
   */
  public record Evict(List<String> models) implements Decision {
    /** Copies the list. */
    public Evict {
      models = List.copyOf(models);
    }
  }

  /**
   * It fits once these models are unloaded, and some of them are busy now: wait until they are idle,
   * or until the load has waited its turn long enough to drain them.
   *
   * @param models model ids, idle ones first, in the order to unload them
   * @param busy those of them that are busy now
   */
  public record Wait(List<String> models, List<String> busy) implements Decision {
    /** Copies the lists. */
    public Wait {
      models = List.copyOf(models);
      busy = List.copyOf(busy);
    }
  }

  /**
   * It does not fit, whatever model that is not pinned is unloaded.
   *
   * @param needed bytes the model needs
   * @param free bytes the budget leaves once every model that is not pinned is gone
   * @param resident what holds the memory, for the message
   */
  public record Refuse(long needed, long free, List<Resident> resident) implements Decision {
    /** Copies the list. */
    public Refuse {
      resident = List.copyOf(resident);
    }
  }

  /**
   * @param resident the local models loaded or loading now (the wanted model not among them)
   * @param needed bytes the wanted model needs
   * @param budget bytes all local models may need together; 0 or less means no limit
   */
  public static Decision decide(List<Resident> resident, long needed, long budget) {
    if (budget <= 0) {
      return new Fits();
    }
    long used = resident.stream().mapToLong(Resident::bytes).sum();
    if (used + needed <= budget) {
      return new Fits();
    }
    // Idle models first, then busy ones; least recently used first within each.
    List<Resident> candidates = new ArrayList<>(resident.stream().filter(r -> !r.pinned()).toList());
    candidates.sort(Comparator.comparing((Resident r) -> r.busy() > 0).thenComparingLong(Resident::lastUsedNanos)
        .thenComparing(Resident::model));
    List<String> evict = new ArrayList<>();
    List<String> busy = new ArrayList<>();
    for (Resident candidate : candidates) {
      evict.add(candidate.model());
      if (candidate.busy() > 0) {
        busy.add(candidate.model());
      }
      used -= candidate.bytes();
      if (used + needed <= budget) {
        return busy.isEmpty() ? new Evict(evict) : new Wait(evict, busy);
      }
    }
    return new Refuse(needed, budget - used, resident);
  }

  /**
   * Whether a model last used at {@code lastUsedNanos} has been idle for its {@code ttlNanos} at
   * {@code nowNanos}, with nothing in flight or waiting; a ttl of 0 or less never expires.
   */
  public static boolean expired(long nowNanos, long lastUsedNanos, long ttlNanos, int busy) {
    return ttlNanos > 0 && busy == 0 && nowNanos - lastUsedNanos >= ttlNanos;
  }
}
