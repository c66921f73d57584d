package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class DescriptorTableTest {

  @Test
  void reservingGrowsTheTableAndLeavesNothingOpen() {
    UnixOperatingSystemMXBean os = (UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    int wanted = (int) Math.min(4096, os.getMaxFileDescriptorCount());
    long openBefore = os.getOpenFileDescriptorCount();

    DescriptorTable.reserve(wanted);

    assertTrue(DescriptorTable.size() >= wanted, "table size " + DescriptorTable.size() + " < " + wanted);
    assertEquals(openBefore, os.getOpenFileDescriptorCount(), "descriptors left open");
  }

  @Test
  void aTableAlreadyLargeEnoughIsLeftAlone() {
    DescriptorTable.reserve(64);
    int size = DescriptorTable.size();

    assertEquals(0, DescriptorTable.reserve(16));
    assertEquals(size, DescriptorTable.size());
  }
}
