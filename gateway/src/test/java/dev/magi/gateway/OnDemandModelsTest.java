package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The unload decision, with time given by hand. */
class OnDemandModelsTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void aModelIsIdleOnlyAfterItsTtlWithNothingInFlightOrWaiting() {
    Duration ttl = Duration.ofMinutes(10);
    long lastUsed = 5 * SECOND;

    assertFalse(OnDemandModels.idle(lastUsed + 599 * SECOND, lastUsed, ttl, 0));
    assertTrue(OnDemandModels.idle(lastUsed + 600 * SECOND, lastUsed, ttl, 0));
    assertFalse(OnDemandModels.idle(lastUsed + 3600 * SECOND, lastUsed, ttl, 1), "a request in flight keeps it");
  }
}
