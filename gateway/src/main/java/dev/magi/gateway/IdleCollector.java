package dev.magi.gateway;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Collects the whole heap once the gateway has been idle for a while after its old generation grew.
 *
 * <p>Why: a generational collector promotes the state of long requests (held streams) into the old
 * generation, where it stays after they end until the old generation is full. Heap pages once
 * touched stay resident, so without this the gateway's RSS climbs from one busy period to the next
 * until it holds the whole heap. A full collection while nothing is in flight compacts what lives to
 * the start of the old generation: the next busy period reuses the pages the last one touched, and
 * RSS stays at what one busy period needs. G1's periodic collections (JEP 346) do the same for G1;
 * the launcher runs the serial collector, which has nothing of the kind.
 *
 * <p>Idle means: at every check for {@code quiet} in a row, no request had begun since the last
 * check and none was in flight (admitted to a backend or waiting for one). A collection stops every
 * thread for some tens of milliseconds; a request that arrives meanwhile waits that long. Checks run
 * once a second on a daemon thread of their own, never on an event loop.
 */
final class IdleCollector {

  private static final Logger LOG = Logger.getLogger(IdleCollector.class.getName());

  /** How much the old generation must have grown since the last collection before one is worth it. */
  static final long GROWTH_BYTES = 32L << 20;

  /** Counts requests as they begin; shared by every event loop (a {@link LongAdder} does not contend). */
  static final class Arrivals {
    private final LongAdder begun = new LongAdder();

    void begin() {
      begun.increment();
    }

    long begun() {
      return begun.sum();
    }
  }

  private final LongSupplier begun;
  private final IntSupplier inFlight;
  private final LongSupplier oldGenerationUsed;
  private final Runnable collect;
  private final long quietNanos;
  private final long growthBytes;
  private long lastBegun = -1;
  private long quietSince;
  private long baseline;

  /**
   * @param begun requests begun so far (only changes matter)
   * @param inFlight requests admitted to a backend or waiting for one, right now
   * @param oldGenerationUsed bytes in use in the old generation
   * @param collect the full collection ({@link System#gc()} outside tests)
   * @param quiet how long the gateway must have been idle
   * @param growthBytes how much the old generation must have grown since the last collection
   */
  IdleCollector(LongSupplier begun, IntSupplier inFlight, LongSupplier oldGenerationUsed, Runnable collect,
      Duration quiet, long growthBytes) {
    this.begun = begun;
    this.inFlight = inFlight;
    this.oldGenerationUsed = oldGenerationUsed;
    this.collect = collect;
    this.quietNanos = quiet.toNanos();
    this.growthBytes = growthBytes;
    this.baseline = oldGenerationUsed.getAsLong();
  }

  /**
   * One check at {@code nowNanos} (monotonic). Collects if the gateway has been idle for the whole
   * quiet period and the old generation has grown by the threshold since the last collection.
   *
   * @return whether it collected
   */
  boolean check(long nowNanos) {
    long used = oldGenerationUsed.getAsLong();
    // A collection of the JVM's own (the old generation was full) is a new starting point too.
    baseline = Math.min(baseline, used);
    long count = begun.getAsLong();
    if (count != lastBegun || inFlight.getAsInt() > 0) {
      lastBegun = count;
      quietSince = nowNanos;
      return false;
    }
    if (nowNanos - quietSince < quietNanos || used - baseline < growthBytes) {
      return false;
    }
    long started = System.nanoTime();
    collect.run();
    baseline = oldGenerationUsed.getAsLong();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    LOG.info(() -> "idle: collected the heap in " + ms + " ms; old generation " + (used >> 20) + " MB -> "
        + (baseline >> 20) + " MB");
    return true;
  }

  /**
   * The heap pool that holds promoted objects ({@code Tenured Gen}, {@code PS Old Gen}, {@code G1 Old
   * Gen}), or empty under a collector without generations (ZGC, Shenandoah), which returns memory on
   * its own.
   */
  static Optional<MemoryPoolMXBean> oldGeneration() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(pool -> pool.getType() == MemoryType.HEAP && pool.isValid())
        .filter(pool -> pool.getName().contains("Old") || pool.getName().contains("Tenured"))
        .findFirst();
  }

  /**
   * Starts checking once a second on a daemon thread, collecting with {@link System#gc()}. Does nothing
   * (and returns a no-op) when {@code quiet} is zero or the collector has no old generation.
   *
   * @return stops the checks
   */
  static Runnable start(Arrivals arrivals, IntSupplier inFlight, Duration quiet) {
    Optional<MemoryPoolMXBean> old = oldGeneration();
    if (quiet.isZero() || old.isEmpty()) {
      return () -> { };
    }
    MemoryPoolMXBean pool = old.get();
    IdleCollector collector = new IdleCollector(arrivals::begun, inFlight, () -> pool.getUsage().getUsed(),
        System::gc, quiet, GROWTH_BYTES);
    ScheduledExecutorService checks = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "magi-idle-collector");
      thread.setDaemon(true);
      return thread;
    });
    checks.scheduleWithFixedDelay(() -> {
      try {
        collector.check(System.nanoTime());
      } catch (RuntimeException e) {
        // A failed check must not end the checks that follow (the executor would drop the task).
        LOG.log(java.util.logging.Level.WARNING, "idle collection check failed", e);
      }
    }, 1, 1, TimeUnit.SECONDS);
    return checks::shutdownNow;
  }
}
