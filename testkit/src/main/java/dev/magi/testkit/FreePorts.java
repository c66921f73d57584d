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
   * @throws IllegalStateException when no such range turns up in 50 tries
   */
  public static int range(int count) {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = any();
      if (base + count > 65535) {
        continue;
      }
      boolean free = true;
      for (int port = base + 1; port < base + count && free; port++) {
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

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
