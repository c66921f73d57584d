package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The idle collector's decisions, driven check by check with a clock, counters and an old
 * generation of the test's own; and once end to end, in a running gateway of this JVM.
 */
class IdleCollectorTest {

  private static final long MB = 1L << 20;
  private static final long SECOND = 1_000_000_000L;

  private long begun;
  private int inFlight;
  private long oldUsed = 20 * MB;
  private int collections;
  private final IdleCollector collector = new IdleCollector(() -> begun, () -> inFlight, () -> oldUsed, () -> {
    collections++;
    oldUsed = 15 * MB;
  }, Duration.ofSeconds(10), 32 * MB);

  @Test
  void collectsOnceTheGatewayHasBeenIdleForTheQuietPeriodAfterTheOldGenerationGrew() {
    begun = 8000;
    oldUsed = 180 * MB;
    collector.check(0);

    assertFalse(collector.check(9 * SECOND), "idle for 9 s only");
    assertTrue(collector.check(10 * SECOND));
    assertEquals(1, collections);
  }

  @Test
  void aCollectionIsNotRepeatedUntilTheOldGenerationGrowsAgain() {
    oldUsed = 180 * MB;
    collector.check(0);
    assertTrue(collector.check(10 * SECOND));

    for (long s = 11; s < 100; s++) {
      assertFalse(collector.check(s * SECOND));
    }
    begun++;
    oldUsed = 15 * MB + 32 * MB;
    collector.check(100 * SECOND);
    assertTrue(collector.check(110 * SECOND), "grew by 32 MB since the last collection, then idle");
    assertEquals(2, collections);
  }

  @Test
  void aRequestThatBeginsStartsTheQuietPeriodAgain() {
    oldUsed = 180 * MB;
    collector.check(0);
    begun++;
    collector.check(5 * SECOND);

    assertFalse(collector.check(10 * SECOND));
    assertTrue(collector.check(15 * SECOND));
  }

  @Test
  void heldRequestsKeepTheGatewayBusyThoughNoneBegins() {
    oldUsed = 180 * MB;
    inFlight = 8000;
    for (long s = 0; s <= 60; s++) {
      assertFalse(collector.check(s * SECOND));
    }

    inFlight = 0;
    collector.check(61 * SECOND);
    assertTrue(collector.check(71 * SECOND));
  }

  @Test
  void littleGrowthIsNotWorthAPause() {
    oldUsed = 20 * MB + 31 * MB;
    collector.check(0);

    assertFalse(collector.check(60 * SECOND));
    assertEquals(0, collections);
  }

  @Test
  void aCollectionOfTheJvmsOwnIsANewStartingPoint() {
    oldUsed = 200 * MB;
    collector.check(0);
    begun++;
    oldUsed = 10 * MB; // the old generation filled and the JVM collected it
    collector.check(SECOND);
    oldUsed = 40 * MB; // 30 MB since then: below the threshold, though 20 MB above the start

    assertFalse(collector.check(60 * SECOND));
  }

  @Test
  void theCollectorsOldGenerationIsFound() {
    // The tests run on the JVM's default collector (G1 here); the launcher's serial one has "Tenured Gen".
    assertTrue(IdleCollector.oldGeneration().isPresent());
  }

  @Test
  void aRunningGatewayThatIsIdleCollectsOnceItsOldGenerationGrew() throws Exception {
    // Start from a compacted heap, so that the gateway's starting point holds no garbage of earlier tests.
    System.gc();
    try (LogCapture log = new LogCapture(IdleCollector.class.getName()); GatewayFixture magi = new GatewayFixture()) {
      magi.start("server: {idle_gc_after: 1s, event_loops: 1}\n");
      // Long-lived data, as a busy period's promoted streams are: a collection moves it to the old generation.
      List<byte[]> held = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        held.add(new byte[4 << 20]);
      }
      System.gc();

      String message = log.next(30, "idle collection after 48 MB of growth");

      assertTrue(message.startsWith("idle: collected the heap in "), message);
      assertEquals(12, held.size());
    }
  }
}
