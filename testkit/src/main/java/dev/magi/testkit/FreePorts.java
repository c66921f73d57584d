package dev.magi.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds ports for tests that need a range (never a fixed port such as 8080).
 *
 * <p>Ranges are leased, not guessed: the ports below the kernel's ephemeral range are cut into blocks
 * of {@link #BLOCK} ports, and a JVM takes a block by locking its file under
 * {@code <tmpdir>/magi-test-ports/} (the lock lasts as long as the JVM, and the operating system
 * releases it however the JVM ends). Two test JVMs, two builds on one machine included, never hold
 * the same block, so they never hand out the same port; within a JVM a port is handed out once.
 * Outgoing connections never take a port below the ephemeral range, so the TIME_WAIT sockets a load
 * test leaves behind do not crowd it.
 */
public final class FreePorts {

  /** Ports in one leased block; the largest range one call may ask for. */
  public static final int BLOCK = 32;

  private static final Path LOCKS = Path.of(System.getProperty("java.io.tmpdir"), "magi-test-ports");
  /** Blocks this JVM holds, with their locks (kept reachable: a collected channel would drop its lock). */
  private static final List<FileLock> HELD = new ArrayList<>();
  private static int nextPort;
  private static int blockEnd;

  private FreePorts() {
  }

  /**
   * The first of {@code count} consecutive ports, leased to this JVM alone, that could all be bound a
   * moment ago.
   *
   * @throws IllegalArgumentException when {@code count} is more than {@link #BLOCK}
   * @throws IllegalStateException when every block is held by other JVMs or nothing in them is bindable
   */
  public static synchronized int range(int count) {
    if (count < 1 || count > BLOCK) {
      throw new IllegalArgumentException("a range is 1 to " + BLOCK + " ports, not " + count);
    }
    for (int tries = 0; tries < 2_000; tries++) {
      if (nextPort + count > blockEnd) {
        leaseBlock();
      }
      int base = nextPort;
      nextPort += count;
      boolean free = true;
      for (int port = base; port < base + count && free; port++) {
        free = bindable(port);
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no " + count + " consecutive bindable ports in the blocks leased");
  }

  /** Takes the next block no other JVM holds, starting from a random one. */
  private static void leaseBlock() {
    int ephemeralStart = ephemeralRangeStart();
    int low = Math.max(10_000, ephemeralStart - 20_000);
    int high = ephemeralStart > low + BLOCK ? ephemeralStart : 60_000;
    int blocks = (high - low) / BLOCK;
    int first = new java.util.Random().nextInt(blocks);
    try {
      Files.createDirectories(LOCKS);
      for (int i = 0; i < blocks; i++) {
        int start = low + ((first + i) % blocks) * BLOCK;
        FileChannel channel = FileChannel.open(LOCKS.resolve(start + ".lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        FileLock lock;
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null;
        }
        if (lock == null) {
          channel.close();
          continue;
        }
        HELD.add(lock);
        nextPort = start;
        blockEnd = start + BLOCK;
        return;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("every block of test ports under " + LOCKS + " is held by another JVM");
  }

  /** A port the system chose as free a moment ago (for a port nothing listens on, say). */
  public static int any() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first port of Linux's ephemeral range; 0 where it cannot be read. */
  private static int ephemeralRangeStart() {
    try {
      String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
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
