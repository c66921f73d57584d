package dev.magi.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Two JVMs leasing ranges at once never get the same port: the flaky "no free ports" is gone by design. */
class FreePortsTest {

  /** Prints the ports of 40 ranges of 4, one port a line. */
  public static void main(String[] args) {
    for (int i = 0; i < 40; i++) {
      int base = FreePorts.range(4);
      for (int port = base; port < base + 4; port++) {
        System.out.println(port);
      }
    }
  }

  @Test
  void rangesOfTwoJvmsNeverOverlap() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process other = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        FreePortsTest.class.getName()).redirectErrorStream(true).start();
    Set<Integer> mine = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      int base = FreePorts.range(4);
      for (int port = base; port < base + 4; port++) {
        assertTrue(mine.add(port), "port " + port + " handed out twice in one JVM");
      }
    }
    Set<Integer> theirs = new HashSet<>();
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(other.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        theirs.add(Integer.parseInt(line.trim()));
      }
    }
    assertTrue(other.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, other.exitValue());
    assertEquals(160, theirs.size());
    theirs.retainAll(mine);
    assertEquals(Set.of(), theirs, "the two JVMs shared ports");
  }

  @Test
  void aRangeLargerThanABlockIsRefused() {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> FreePorts.range(FreePorts.BLOCK + 1));
    assertEquals(1, List.of(FreePorts.range(FreePorts.BLOCK)).size());
  }
}
