package dev.magi.ports;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Leases TCP ports from a fixed range ({@code MODEL_PORT_RANGE_START}..{@code MODEL_PORT_RANGE_END},
 * default 8080–8099). A port is probed by binding it before it is handed out; a port found taken
 * (by the probe, or by a child that could not bind it) is set aside for a while and the next one is
 * tried. Exhaustion is an immediate {@link NoPortAvailableException}, never a wait.
 *
 * <p>Thread-safe. Probing binds a socket, a short system call, but still a blocking one: call from a
 * worker thread.
 */
public final class PortPool {

  /** How long a port found taken is skipped. */
  public static final Duration BUSY_FOR = Duration.ofSeconds(30);

  private final int first;
  private final int last;
  private final PortProbe probe;
  private final Clock clock;
  private final Map<Integer, PortLease> leases = new TreeMap<>();
  private final Map<Integer, Instant> busyUntil = new HashMap<>();
  private int next;

  /**
   * @param first lowest port of the range
   * @param last highest port of the range (inclusive)
   * @throws IllegalArgumentException when the range is empty or outside 1..65535
   */
  public PortPool(int first, int last, PortProbe probe, Clock clock) {
    if (first < 1 || last > 65535 || first > last) {
      throw new IllegalArgumentException("port range " + first + "-" + last + " is not a range of TCP ports");
    }
    this.first = first;
    this.last = last;
    this.probe = probe;
    this.clock = clock;
    this.next = first;
  }

  /**
   * Leases a free port to {@code owner}. Ports are tried round-robin from after the last one handed
   * out, so a port just released is not handed out again at once.
   *
   * @throws NoPortAvailableException when no port of the range is free
   */
  public synchronized PortLease lease(String owner) {
    Instant now = clock.instant();
    int size = last - first + 1;
    for (int i = 0; i < size; i++) {
      int port = first + (next - first + i) % size;
      if (leases.containsKey(port) || now.isBefore(busyUntil.getOrDefault(port, Instant.MIN))) {
        continue;
      }
      if (!probe.isFree(port)) {
        busyUntil.put(port, now.plus(BUSY_FOR));
        continue;
      }
      busyUntil.remove(port);
      next = port == last ? first : port + 1;
      PortLease lease = new PortLease(port, owner);
      leases.put(port, lease);
      return lease;
    }
    throw new NoPortAvailableException("no port available in " + first + "-" + last + " (" + leases.size()
        + " leased, the others are in use by other programs)");
  }

  /** Gives a lease back; releasing a lease twice, or one that is not current, does nothing. */
  public synchronized void release(PortLease lease) {
    leases.remove(lease.port(), lease);
  }

  /**
   * Releases {@code lease} and sets its port aside for {@link #BUSY_FOR}: a child found it taken
   * although the probe had found it free (another program bound it in between).
   */
  public synchronized void releaseAsBusy(PortLease lease) {
    if (leases.remove(lease.port(), lease)) {
      busyUntil.put(lease.port(), clock.instant().plus(BUSY_FOR));
    }
  }

  /** The current leases, by port. */
  public synchronized List<PortLease> leases() {
    return List.copyOf(leases.values());
  }

  /** The lowest port of the range. */
  public int first() {
    return first;
  }

  /** The highest port of the range. */
  public int last() {
    return last;
  }
}
