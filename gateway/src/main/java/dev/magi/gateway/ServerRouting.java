package dev.magi.gateway;

import dev.magi.registry.Catalog;
import dev.magi.registry.ModelEntry;
import dev.magi.router.Backend;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendPool;
import dev.magi.router.BackendType;
import dev.magi.router.Endpoint;
import dev.magi.router.Health;
import dev.magi.router.ModelDeclaration;
import dev.magi.servers.ServerEvents;
import dev.magi.servers.ServerInfo;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * Puts local model servers into the router and takes them out: a ready server becomes a backend of
 * its model (under the model's aliases too); a leaving one is taken out of the pool first, and the
 * supervisor is told when its requests in flight have finished.
 */
final class ServerRouting implements ServerEvents {

  private static final long DRAIN_POLL_MILLIS = 50;

  private final Vertx vertx;
  private final BackendDirectory directory;
  private final Supplier<Catalog> catalog;

  ServerRouting(Vertx vertx, BackendDirectory directory, Supplier<Catalog> catalog) {
    this.vertx = vertx;
    this.directory = directory;
    this.catalog = catalog;
  }

  /** The directory source of one server instance's declaration. */
  static String source(String instance) {
    return "server:" + instance;
  }

  @Override
  public void ready(ServerInfo server) {
    Endpoint endpoint = Endpoint.of(BackendType.LLAMA_SERVER, server.url(), null);
    endpoint.recordHealth(Health.HEALTHY, "");
    List<String> aliases = catalog.get().find(server.model()).map(ModelEntry::aliases).orElse(List.of());
    directory.replace(source(server.name()), List.of(new ModelDeclaration(server.model(), aliases, endpoint,
        server.model(), server.startedAt().orElse(Instant.now()), server.launch().parallel())));
  }

  /**
   * Takes the server out of its pool once nothing depends on it: when it is the model's last server,
   * requests already waiting in the model's queue are served first (they are in flight for their
   * clients). Then it waits for its own requests to finish. The supervisor bounds the whole wait.
   */
  @Override
  public Future<Void> leaving(ServerInfo server) {
    List<Backend> leaving = backendsOf(server);
    BackendPool pool = directory.routes().resolve(server.model()).orElse(null);
    boolean last = pool != null && pool.backends().size() <= leaving.size();
    Promise<Void> queueServed = Promise.promise();
    if (last) {
      waitUntil(() -> pool.queue().waiting() == 0, queueServed);
    } else {
      queueServed.complete();
    }
    return queueServed.future().compose(served -> {
      directory.replace(source(server.name()), List.of());
      Promise<Void> drained = Promise.promise();
      waitUntil(() -> leaving.stream().allMatch(b -> b.inFlight() == 0), drained);
      return drained.future();
    });
  }

  @Override
  public void gone(ServerInfo server) {
    directory.replace(source(server.name()), List.of());
  }

  private List<Backend> backendsOf(ServerInfo server) {
    return directory.routes().resolve(server.model()).map(BackendPool::backends).orElse(List.of()).stream()
        .filter(b -> b.endpoint().port() == server.port() && b.endpoint().host().equals("127.0.0.1"))
        .toList();
  }

  private void waitUntil(java.util.function.BooleanSupplier condition, Promise<Void> done) {
    if (condition.getAsBoolean()) {
      done.complete();
      return;
    }
    vertx.setTimer(DRAIN_POLL_MILLIS, id -> waitUntil(condition, done));
  }
}
