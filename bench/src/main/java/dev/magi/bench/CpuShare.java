package dev.magi.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A share of CPU time since this object was made, read from a line of /proc/stat: the whole machine
 * ({@link #stolen()}) or one core ({@link #busy(int)}). Zero where the kernel does not report it.
 */
final class CpuShare {

  private final String line;
  private final boolean stolen;
  private final long[] start;

  private CpuShare(String line, boolean stolen) {
    this.line = line;
    this.stolen = stolen;
    this.start = ticks();
  }

  /**
   * The share of the machine's CPU time that its hypervisor gave to others (the {@code steal} column,
   * over all cores). On a shared virtual machine a vCPU that is descheduled stalls every process on
   * it for milliseconds at a time; a round with time stolen has the host's tail latencies, whatever
   * the target.
   */
  static CpuShare stolen() {
    return new CpuShare("cpu ", true);
  }

  /** How busy {@code core} was: everything but idle and iowait. */
  static CpuShare busy(int core) {
    return new CpuShare("cpu" + core + " ", false);
  }

  /** The share, in percent. */
  double percent() {
    long[] now = ticks();
    long total = now[0] - start[0];
    return total <= 0 ? 0 : 100.0 * (now[1] - start[1]) / total;
  }

  /** {all ticks, counted ticks} of this object's line of /proc/stat. */
  private long[] ticks() {
    try {
      for (String text : Files.readAllLines(Path.of("/proc/stat"))) {
        if (text.startsWith(line)) {
          String[] fields = text.trim().split("\\s+");
          long total = 0;
          // user nice system idle iowait irq softirq steal (guest time is already in user and nice)
          for (int i = 1; i <= 8 && i < fields.length; i++) {
            total += Long.parseLong(fields[i]);
          }
          long counted = stolen ? (fields.length > 8 ? Long.parseLong(fields[8]) : 0)
              : total - Long.parseLong(fields[4]) - Long.parseLong(fields[5]);
          return new long[] {total, counted};
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // not Linux, or no such field: nothing to report
    }
    return new long[] {0, 0};
  }
}
