package dev.magi.gateway;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Grows this process's file-descriptor table ahead of need.
 *
 * <p>Linux keeps a process's descriptors in a table that doubles when a new descriptor does not fit,
 * and in a multi-threaded process the thread that grows it waits for an RCU grace period while every
 * other thread that opens a descriptor waits for the growth. On this project's machine that was
 * 5-17 ms at each of 256, 512, ..., 8192 descriptors. For a gateway the thread is the event loop,
 * accepting or connecting in the middle of a burst of new streams: in the benchmark's first ramp to
 * 8,000 held streams (two descriptors each) those pauses were the worst times to first event.
 *
 * <p>The table never shrinks, so opening enough descriptors once and closing them again, at startup
 * and before any event loop runs, moves those pauses to where nobody waits. What it costs is the
 * kernel's table (8 bytes a descriptor: 256 KB for 32,768) and some 0.1 s at startup.
 */
public final class DescriptorTable {

  /** Enough for some 16,000 proxied streams, each holding a client and a backend connection. */
  public static final int DEFAULT_RESERVE = 32_768;

  private static final Path DEV_NULL = Path.of("/dev/null");

  private DescriptorTable() {
  }

  /**
   * Grows the table to hold at least {@code wanted} descriptors (a power of two), or as many as the
   * process's limit on open files allows if that is fewer. Does nothing where there is no such table
   * to grow (not Linux). Best effort: a failure to open stops the growth where it is and is not
   * reported.
   *
   * @return how many descriptors were opened (and closed again) to grow it
   */
  public static int reserve(int wanted) {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (!(os instanceof UnixOperatingSystemMXBean unix) || !Files.isDirectory(Path.of("/proc/self/fd"))) {
      return 0;
    }
    // The kernel grows the table to the next power of two above the descriptor that did not fit, and
    // a new descriptor takes the lowest free number: a table of `wanted` needs numbers up to half of it.
    long target = Math.min(wanted / 2 + 1, unix.getMaxFileDescriptorCount());
    long toOpen = target - unix.getOpenFileDescriptorCount();
    List<FileChannel> opened = new ArrayList<>();
    try {
      for (long i = 0; i < toOpen; i++) {
        opened.add(FileChannel.open(DEV_NULL, StandardOpenOption.READ));
      }
    } catch (IOException e) {
      // The limit was nearer than reported (another thread opened files): the table grew this far.
    } finally {
      for (FileChannel channel : opened) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // Closing /dev/null does not fail in a way that matters here.
        }
      }
    }
    return opened.size();
  }
}
