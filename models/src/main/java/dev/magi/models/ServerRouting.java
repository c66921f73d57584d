package dev.magi.models;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Puts local model servers into the router and takes them out: a ready server becomes a backend of
 * its model (under the model's aliases too); a leaving one is taken out of the pool first, and the
 * supervisor is told when its requests in flight have finished. Draining waits for events (the
 * model's queue emptying, the last lease released), never polls.
 */
public final class ServerRouting implements ServerEvents {

  private final BackendDirectory directory;
  private final Supplier<Catalog> catalog;
  private final Consumer<String> routable;
  private final java.util.Set<String> swappingOut = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * @param routable told the model id each time a server of it has joined its pool
   */
  public ServerRouting(BackendDirectory directory, Supplier<Catalog> catalog, Consumer<String> routable) {
    this.directory = directory;
    this.catalog = catalog;
    this.routable = routable;
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
    routable.accept(server.model());
  }

  /**
   * The servers of {@code model} that leave from now on are swapped out for another model: they leave
   * their pool at once, requests waiting in the model's queue keep waiting for it to come back (rather
   * than keeping it busy for ever), and only their requests in flight finish.
   */
  void swapOut(String model) {
    swappingOut.add(model);
  }

  /** The swap-out of {@code model} is done: its servers leave as usual again. */
  void swapped(String model) {
    swappingOut.remove(model);
  }

  /**
   * Takes the server out of its pool once nothing depends on it: when it is the model's last server,
   * requests already waiting in the model's queue are served first (they are in flight for their
   * clients). Then it waits for its own requests to finish. The supervisor bounds the whole wait.
   */
  @Override
  public Future<Void> leaving(ServerInfo server) {
    List<Backend> leaving = backendsOf(server);
    if (swappingOut.contains(server.model())) {
      directory.replaceExpectingBack(source(server.name()), List.of(), server.model());
      return idle(leaving);
    }
    BackendPool pool = directory.routes().resolve(server.model()).orElse(null);
    boolean last = pool != null && pool.backends().size() <= leaving.size();
    Future<Void> queueServed = last ? pool.queue().whenEmpty() : Future.succeededFuture();
    return queueServed.compose(served -> {
      directory.replace(source(server.name()), List.of());
      return idle(leaving);
    });
  }

  private static Future<Void> idle(List<Backend> backends) {
    List<Future<Void>> drained = new ArrayList<>();
    backends.forEach(backend -> drained.add(backend.whenIdle()));
    return Future.all(drained).mapEmpty();
  }

  /** A crashed server is restarted: requests waiting for its model keep waiting, within their queue wait. */
  @Override
  public void gone(ServerInfo server) {
    directory.replaceExpectingBack(source(server.name()), List.of(), server.model());
  }

  @Override
  public void failed(ServerInfo server) {
    directory.notExpectedBack(server.model());
  }

  private List<Backend> backendsOf(ServerInfo server) {
    return directory.routes().resolve(server.model()).map(BackendPool::backends).orElse(List.of()).stream()
        .filter(b -> b.endpoint().port() == server.port() && b.endpoint().host().equals("127.0.0.1"))
        .toList();
  }
}
