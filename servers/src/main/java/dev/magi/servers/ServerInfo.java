package dev.magi.servers;

import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot of one model server, for the admin API and for the router.
 *
 * @param name the instance name (the model id, or {@code <id>#<n>} for further replicas)
 * @param model the model id it serves
 * @param launch the launch settings it runs (or will run) with
 * @param port its port, 0 when it has none
 * @param pid its process id, 0 when it has none
 * @param state where it is in its life
 * @param startedAt when its current process was started, empty when none
 * @param restarts how many times it was restarted after a crash
 * @param lastError the latest failure, empty when none
 */
public record ServerInfo(String name, String model, dev.magi.registry.LaunchSettings launch, int port, long pid,
    ServerState state, Optional<Instant> startedAt, int restarts, String lastError) {

  /** {@code http://127.0.0.1:<port>}, or empty when it has no port. */
  public String url() {
    return port == 0 ? "" : "http://127.0.0.1:" + port;
  }
}
