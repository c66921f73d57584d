package dev.magi.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The load, evict and expiry decisions, over snapshots made by hand, with time given by hand. */
class EvictionTest {

  private static final long GIB = 1L << 30;
  private static final long SECOND = 1_000_000_000L;

  private static Resident idle(String model, long bytes, long lastUsed) {
    return new Resident(model, bytes, 0, lastUsed, false);
  }

  @Test
  void withoutABudgetEverythingFits() {
    assertInstanceOf(Eviction.Fits.class, Eviction.decide(List.of(idle("a", 100 * GIB, 1)), 100 * GIB, 0));
  }

  @Test
  void whatFitsBesideTheLoadedModelsEvictsNothing() {
    assertInstanceOf(Eviction.Fits.class, Eviction.decide(List.of(idle("a", 3 * GIB, 1)), 5 * GIB, 8 * GIB));
  }

  @Test
  void idleModelsGoLeastRecentlyUsedFirstAndOnlyAsManyAsNeeded() {
    List<Resident> resident = List.of(idle("newest", 2 * GIB, 30), idle("oldest", 2 * GIB, 10),
        idle("middle", 2 * GIB, 20));

    Eviction.Decision decision = Eviction.decide(resident, 4 * GIB, 8 * GIB);

    assertEquals(new Eviction.Evict(List.of("oldest")), decision);
    assertEquals(new Eviction.Evict(List.of("oldest", "middle")), Eviction.decide(resident, 6 * GIB, 8 * GIB));
  }

  @Test
  void busyModelsAreWaitedForAndPinnedOnesNeverGo() {
    Resident busy = new Resident("busy", 3 * GIB, 1, 1, false);
    Resident pinned = new Resident("pinned", 3 * GIB, 0, 2, true);
    Resident spare = idle("spare", 2 * GIB, 3);
    List<Resident> resident = List.of(busy, pinned, spare);

    assertEquals(new Eviction.Evict(List.of("spare")), Eviction.decide(resident, 2 * GIB, 8 * GIB),
        "the idle one goes at once");
    assertEquals(new Eviction.Wait(List.of("spare", "busy"), List.of("busy")),
        Eviction.decide(resident, 4 * GIB, 8 * GIB), "the busy one must finish first");

    Eviction.Refuse refuse = assertInstanceOf(Eviction.Refuse.class, Eviction.decide(resident, 6 * GIB, 8 * GIB));
    assertEquals(6 * GIB, refuse.needed());
    assertEquals(5 * GIB, refuse.free(), "8 GiB less the pinned model");
    assertEquals(3, refuse.resident().size(), "the message lists everything loaded");
  }

  @Test
  void aModelLargerThanTheWholeBudgetIsRefusedWithNothingEvicted() {
    Eviction.Decision decision = Eviction.decide(List.of(idle("a", GIB, 1)), 9 * GIB, 8 * GIB);
    assertInstanceOf(Eviction.Refuse.class, decision);
  }

  @Test
  void aModelExpiresOnlyAfterItsTtlWithNothingInFlightOrWaiting() {
    long ttl = 600 * SECOND;
    long lastUsed = 5 * SECOND;

    assertFalse(Eviction.expired(lastUsed + 599 * SECOND, lastUsed, ttl, 0));
    assertTrue(Eviction.expired(lastUsed + 600 * SECOND, lastUsed, ttl, 0));
    assertFalse(Eviction.expired(lastUsed + 3600 * SECOND, lastUsed, ttl, 1), "a request in flight keeps it");
    assertFalse(Eviction.expired(Long.MAX_VALUE, lastUsed, 0, 0), "no ttl, no expiry");
  }
}
