package dev.magi.gateway.config;

import io.vertx.core.transport.Transport;
import java.util.Locale;

/**
 * What the gateway's event loops read and write sockets with ({@code server.transport}). Every
 * socket of the process uses it: clients, backends, Redis and PostgreSQL.
 *
 * <p>{@link #AUTO} takes epoll where its library loads (Linux x86_64 and aarch64), else NIO.
 * {@link #IO_URING} is chosen only by name: it submits a loop's reads and writes to the kernel in
 * batches instead of one system call each, and on the project machine cut the kernel time of a
 * proxied request by a quarter, but Netty 4.2's io_uring transport still trips one of its own
 * assertions when several channels of a loop write at once (netty/netty#16307, open), so it is not
 * yet the default. It needs Linux 5.9 or later, and Docker's default seccomp profile and {@code
 * kernel.io_uring_disabled} refuse it. A transport named explicitly that cannot run here is a
 * configuration error, with the reason, rather than a silent fallback.
 */
public enum NetworkTransport {
  /** epoll, else NIO. */
  AUTO("auto"),
  /** Linux io_uring; only when named. */
  IO_URING("io_uring"),
  /** Linux epoll. */
  EPOLL("epoll"),
  /** The JDK's NIO selectors: every platform. */
  NIO("nio");

  private final String label;

  NetworkTransport(String label) {
    this.label = label;
  }

  /** Its name in configuration and in the startup line. */
  public String label() {
    return label;
  }

  /**
   * The transport {@code value} names ({@code auto}, {@code io_uring}, {@code epoll}, {@code nio});
   * null is {@link #AUTO}.
   *
   * @throws ConfigException for another value, or a native transport that cannot run here
   */
  static NetworkTransport of(String value) {
    String name = value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT);
    for (NetworkTransport transport : values()) {
      if (transport.label.equals(name)) {
        transport.resolve();
        return transport;
      }
    }
    throw new ConfigException("transport", "must be auto, io_uring, epoll or nio, got '" + value + "'");
  }

  /**
   * The Vert.x transport to build the gateway's Vert.x with.
   *
   * @throws ConfigException when this is a native transport that cannot run here (the kernel refuses
   *     it, or no native library loads on this platform)
   */
  public Transport resolve() {
    return switch (this) {
      case AUTO -> Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO;
      case IO_URING -> available(Transport.IO_URING);
      case EPOLL -> available(Transport.EPOLL);
      case NIO -> Transport.NIO;
    };
  }

  private Transport available(Transport transport) {
    if (!transport.available()) {
      Throwable cause = transport.unavailabilityCause();
      throw new ConfigException("transport", label + " cannot run here ("
          + (cause == null ? "unavailable" : cause.getMessage()) + "); use auto, epoll or nio");
    }
    return transport;
  }
}
