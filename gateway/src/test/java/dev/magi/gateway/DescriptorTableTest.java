package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class DescriptorTableTest {

  @Test
  void reservingGrowsTheTableAndLeavesNothingOpen() throws IOException {
    UnixOperatingSystemMXBean os = (UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    int wanted = (int) Math.min(4096, os.getMaxFileDescriptorCount());
    // Other tests' event loops may still be closing sockets: count only what reserve() opens.
    long devNullBefore = openOnDevNull();

    DescriptorTable.reserve(wanted);

    assertTrue(tableSize() >= wanted, "table size " + tableSize() + " < " + wanted);
    assertEquals(devNullBefore, openOnDevNull(), "descriptors on /dev/null left open");
  }

  @Test
  void aTableAlreadyLargeEnoughIsLeftAlone() throws IOException {
    DescriptorTable.reserve(64);
    int size = tableSize();

    assertEquals(0, DescriptorTable.reserve(16));
    assertEquals(size, tableSize());
  }

  /** How many of this process's descriptors are open on /dev/null. */
  private static long openOnDevNull() throws IOException {
    try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
      return descriptors.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().equals("/dev/null");
        } catch (IOException e) {
          return false; // closed while listed
        }
      }).count();
    }
  }

  /** The size of this process's descriptor table ({@code FDSize} in /proc/self/status). */
  private static int tableSize() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("FDSize:")) {
        return Integer.parseInt(line.substring("FDSize:".length()).trim());
      }
    }
    throw new IllegalStateException("no FDSize in /proc/self/status");
  }
}
