package dev.magi.servers;

import io.vertx.core.Future;

/**
 * What the supervisor tells the rest of Magi (the router's pools) about servers coming and going.
 * Servers knows nothing of routing; the gateway wires these to the backend directory.
 */
public interface ServerEvents {

  /** {@code server} is healthy: it may receive requests now. */
  void ready(ServerInfo server);

  /**
   * {@code server} is about to stop: it must receive no new requests.
   *
   * @return completes when its requests in flight have finished (or when waiting longer is pointless)
   */
  Future<Void> leaving(ServerInfo server);

  /**
   * {@code server} went away without warning (crash): it must receive no new requests. It is being
   * restarted unless {@link #failed} follows.
   */
  void gone(ServerInfo server);

  /** {@code server} crashed too often and is not restarted: nothing should wait for it. */
  default void failed(ServerInfo server) {
  }

  /** Events that go nowhere. */
  ServerEvents NONE = new ServerEvents() {
    @Override
    public void ready(ServerInfo server) {
    }

    @Override
    public Future<Void> leaving(ServerInfo server) {
      return Future.succeededFuture();
    }

    @Override
    public void gone(ServerInfo server) {
    }
  };
}
