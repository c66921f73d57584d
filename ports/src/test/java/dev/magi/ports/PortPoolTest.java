package dev.magi.ports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortPoolTest {

  /** A clock the test moves by hand. */
  private static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-11-22T08:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void leasesDistinctPortsUntilTheRangeIsExhausted() {
    PortPool pool = new PortPool(8080, 8082, port -> true, Clock.systemUTC());

    PortLease a = pool.lease("a");
    PortLease b = pool.lease("b");
    PortLease c = pool.lease("c");

    assertEquals(List.of(8080, 8081, 8082), List.of(a.port(), b.port(), c.port()));
    NoPortAvailableException error = assertThrows(NoPortAvailableException.class, () -> pool.lease("d"));
    assertEquals("no port available in 8080-8082 (3 leased, the others are in use by other programs)",
        error.getMessage());
    pool.release(b);
    assertEquals(8081, pool.lease("d").port());
    assertEquals(List.of(a, new PortLease(8081, "d"), c), pool.leases());
  }

  @Test
  void portsTakenByOthersAreSkippedForAWhile() {
    ManualClock clock = new ManualClock();
    Set<Integer> taken = new HashSet<>(Set.of(8080));
    PortPool pool = new PortPool(8080, 8081, port -> !taken.contains(port), clock);

    assertEquals(8081, pool.lease("a").port());
    taken.clear();
    assertThrows(NoPortAvailableException.class, () -> pool.lease("b"), "8080 is set aside after a failed probe");
    clock.now = clock.now.plus(PortPool.BUSY_FOR).plus(Duration.ofSeconds(1));
    assertEquals(8080, pool.lease("b").port());
  }

  @Test
  void portAChildCouldNotBindIsSetAside() {
    ManualClock clock = new ManualClock();
    PortPool pool = new PortPool(8080, 8081, port -> true, clock);

    PortLease lease = pool.lease("a");
    pool.releaseAsBusy(lease);

    assertEquals(8081, pool.lease("b").port());
    assertThrows(NoPortAvailableException.class, () -> pool.lease("c"));
  }

  @Test
  void releasingTwiceOrAStaleLeaseChangesNothing() {
    PortPool pool = new PortPool(8080, 8080, port -> true, Clock.systemUTC());
    PortLease first = pool.lease("a");
    pool.release(first);
    PortLease second = pool.lease("b");

    pool.release(first);

    assertEquals(List.of(second), pool.leases());
  }

  @Test
  void theRealProbeSeesABoundPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertEquals(false, PortProbe.BIND.isFree(socket.getLocalPort()));
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    assertTrue(PortProbe.BIND.isFree(port));
  }

  @Test
  void badRangesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new PortPool(9000, 8000, p -> true, Clock.systemUTC()));
    assertThrows(IllegalArgumentException.class, () -> new PortPool(0, 10, p -> true, Clock.systemUTC()));
  }
}
