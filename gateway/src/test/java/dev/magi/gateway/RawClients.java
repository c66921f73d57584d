package dev.magi.gateway;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Many raw client connections held by one thread, each having sent some bytes and then nothing more,
 * as a slow-loris attacker's are; {@link #awaitClosed} records when the server closes each one and
 * what it sent before. Closes every connection it opened.
 */
final class RawClients implements AutoCloseable {

  /** One connection: when it opened, what it has read, and when the server closed it (0 while open). */
  static final class Connection {
    final SocketChannel channel;
    final long openedAt;
    final StringBuilder received = new StringBuilder();
    long closedAt;

    Connection(SocketChannel channel, long openedAt) {
      this.channel = channel;
      this.openedAt = openedAt;
    }

    /** Seconds from opening to the server's close. */
    double secondsOpen() {
      return (closedAt - openedAt) / 1e9;
    }
  }

  private final Selector selector;
  private final List<Connection> connections = new ArrayList<>();

  RawClients() throws IOException {
    selector = Selector.open();
  }

  /** Opens {@code count} connections to {@code port}, each sending {@code bytes} (may be empty). */
  List<Connection> open(int port, int count, String bytes) throws IOException {
    List<Connection> opened = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
      if (!bytes.isEmpty()) {
        channel.write(ByteBuffer.wrap(bytes.getBytes(StandardCharsets.ISO_8859_1)));
      }
      channel.configureBlocking(false);
      Connection connection = new Connection(channel, System.nanoTime());
      channel.register(selector, SelectionKey.OP_READ, connection);
      connections.add(connection);
      opened.add(connection);
    }
    return opened;
  }

  /**
   * Reads from every open connection until all of {@code watched} are closed by the server, or
   * {@code timeoutMillis} pass.
   *
   * @return whether all of them were closed in time
   */
  boolean awaitClosed(List<Connection> watched, long timeoutMillis) throws IOException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
    while (watched.stream().anyMatch(c -> c.closedAt == 0)) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return false;
      }
      selector.select(left);
      for (SelectionKey key : selector.selectedKeys()) {
        Connection connection = (Connection) key.attachment();
        buffer.clear();
        int read;
        try {
          read = connection.channel.read(buffer);
        } catch (IOException reset) {
          read = -1;
        }
        if (read < 0) {
          connection.closedAt = System.nanoTime();
          key.cancel();
        } else {
          connection.received.append(new String(buffer.array(), 0, read, StandardCharsets.ISO_8859_1));
        }
      }
      selector.selectedKeys().clear();
    }
    return true;
  }

  @Override
  public void close() throws IOException {
    for (Connection connection : connections) {
      connection.channel.close();
    }
    selector.close();
  }
}
