package dev.magi.ports;

/**
 * One port held by one owner until released.
 *
 * @param port the TCP port
 * @param owner who holds it (a model id), for the admin API and logs
 */
public record PortLease(int port, String owner) {
}
