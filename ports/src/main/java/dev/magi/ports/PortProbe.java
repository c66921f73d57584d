package dev.magi.ports;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Tells whether a port is free by binding it. */
@FunctionalInterface
public interface PortProbe {

  /**
   * Binds {@code 127.0.0.1:port} and lets go at once. With {@code SO_REUSEADDR}, as llama-server
   * (cpp-httplib) binds: a port left in TIME_WAIT by a stopped server is free, one another program
   * listens on is not.
   */
  PortProbe BIND = port -> {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  };

  /** Whether {@code port} can be bound now. */
  boolean isFree(int port);
}
