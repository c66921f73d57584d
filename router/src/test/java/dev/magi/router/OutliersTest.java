package dev.magi.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OutliersTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Outliers outliers = new Outliers(now::get);

  private void advance(Duration by) {
    now.addAndGet(by.toNanos());
  }

  @Test
  void fiveFailuresInARowEjectButASuccessResetsTheRun() {
    for (int i = 0; i < 4; i++) {
      outliers.failure();
    }
    outliers.success();
    for (int i = 0; i < 4; i++) {
      outliers.failure();
    }
    assertFalse(outliers.isEjected());

    outliers.failure();

    assertTrue(outliers.isEjected());
    assertEquals(1, outliers.ejections());
  }

  @Test
  void goneEjectsAtOnceAndOnlyAPassedCheckAfterTheEjectionReadmits() {
    outliers.gone();
    assertTrue(outliers.isEjected());

    advance(Duration.ofSeconds(29));
    outliers.checkPassed();
    assertTrue(outliers.isEjected(), "a check during the ejection does not end it");

    advance(Duration.ofSeconds(2));
    assertTrue(outliers.isEjected(), "the time alone does not end it either");
    outliers.checkPassed();
    assertFalse(outliers.isEjected());
  }

  @Test
  void ejectionsGrowBy30SecondsUpTo300() {
    long[] expected = {30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300};
    for (long seconds : expected) {
      outliers.gone();
      advance(Duration.ofSeconds(seconds).minusMillis(1));
      outliers.checkPassed();
      assertTrue(outliers.isEjected(), "still ejected just before " + seconds + " s");
      advance(Duration.ofMillis(1));
      outliers.checkPassed();
      assertFalse(outliers.isEjected(), "back after " + seconds + " s");
    }
  }

  @Test
  void aReadmittedEndpointStartsWithASmallShareOfItsSlots() {
    Endpoint endpoint = Endpoint.of(BackendType.LLAMA_SERVER, "http://127.0.0.1:1", null);
    Outliers own = new Outliers(now::get);
    own.gone();
    advance(Duration.ofSeconds(30));
    own.checkPassed();

    assertEquals(0.1, own.share(), 1e-9);
    advance(Duration.ofSeconds(15));
    assertEquals(0.5, own.share(), 1e-9);
    advance(Duration.ofSeconds(15));
    assertEquals(1.0, own.share(), 1e-9);
    assertEquals(1.0, new Outliers(now::get).share(), "never ejected: full share");
    assertTrue(endpoint.outliers().share() == 1.0);
  }

  @Test
  void ejectedBackendsAreNeitherChosenNorWaitedFor() {
    Endpoint a = Endpoint.of(BackendType.LLAMA_SERVER, "http://127.0.0.1:1", null);
    Endpoint b = Endpoint.of(BackendType.LLAMA_SERVER, "http://127.0.0.1:2", null);
    Backend first = new Backend(a, "m", "m", 2);
    Backend second = new Backend(b, "m", "m", 2);
    BackendPool pool = new BackendPool("m", List.of(), Instant.EPOCH, List.of(first, second),
        LoadBalancer.LEAST_OUTSTANDING);

    a.outliers().gone();

    assertEquals(second, pool.selectFree(Set.of()).orElseThrow());
    assertFalse(first.hasFreeSlot());
    assertTrue(pool.hasCandidate(Set.of()));
    assertFalse(pool.hasCandidate(Set.of(second)), "only the ejected one is left: nothing to wait for");
  }
}
