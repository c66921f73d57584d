package dev.magi.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Finds ports for tests that need a range (never a fixed port such as 8080). */
public final class FreePorts {

  private FreePorts() {
  }

  /**
   * The first of {@code count} consecutive ports that could all be bound a moment ago.
   *
   * <p>They are looked for below the kernel's ephemeral range: outgoing connections never take a
   * port there, so the thousands of TIME_WAIT sockets a load test leaves behind do not crowd it.
   *
   * @throws IllegalStateException when no such range turns up in 50 tries
   */
  public static int range(int count) {
    int ephemeralStart = ephemeralRangeStart();
    int low = Math.max(10_000, ephemeralStart - 20_000);
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = ephemeralStart - count > low ? low + random.nextInt(ephemeralStart - count - low) : any();
      if (base + count > 65535) {
        continue;
      }
      boolean free = true;
      for (int port = base; port < base + count && free; port++) {
        free = bindable(port);
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no " + count + " consecutive free ports found");
  }

  /** A port the system chose as free a moment ago. */
  public static int any() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first port of Linux's ephemeral range; 0 where it cannot be read (then any free port is a base). */
  private static int ephemeralRangeStart() {
    try {
      String range = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
      return Integer.parseInt(range.trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
