package dev.magi.retrieval;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.Await;
import dev.magi.testkit.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PostgreSQL made unreachable for real: a port nobody listens on, and a proxy that stops relaying. */
class PgUnavailableTest {

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  @Test
  void aDatabaseNobodyListensForFailsAtOnce() {
    PgVectorStore store = PgVectorStore.connect(vertx, "postgresql://postgres@127.0.0.1:" + FreePorts.any() + "/test",
        Optional.empty(), 2);

    long started = System.nanoTime();
    Throwable failure = Await.failure(store.count("anything"));

    assertInstanceOf(RetrievalUnavailableException.class, failure);
    assertTrue(System.nanoTime() - started < 2_500_000_000L);
  }

  @Test
  void aHungDatabaseFailsWithinTwoSecondsAndRecovers() {
    AtomicBoolean paused = new AtomicBoolean();
    NetClient client = vertx.createNetClient();
    NetServer proxy = Await.result(vertx.createNetServer().connectHandler(downstream -> {
      downstream.pause();
      client.connect(5432, "127.0.0.1").onSuccess(upstream -> relay(downstream, upstream, paused))
          .onFailure(failure -> downstream.close());
    }).listen(0, "127.0.0.1"));
    PgVectorStore store = PgVectorStore.connect(vertx, "postgresql://postgres@127.0.0.1:" + proxy.actualPort()
        + "/test", Optional.empty(), 2);
    Await.result(store.initialise());
    Await.result(store.createCollection("t_hung", 3));

    paused.set(true);
    long started = System.nanoTime();
    Throwable failure = Await.failure(store.search("t_hung", new float[] {1, 0, 0}, 3, Optional.empty()));
    long took = System.nanoTime() - started;

    assertInstanceOf(RetrievalUnavailableException.class, failure);
    assertTrue(took < 2_500_000_000L, "took " + took / 1_000_000 + " ms");
    paused.set(false);
    List<Match> after = Await.result(store.search("t_hung", new float[] {1, 0, 0}, 3, Optional.empty()));
    assertTrue(after.isEmpty(), "the store works again once the database answers");
    Await.result(store.dropCollection("t_hung"));
    Await.result(store.close());
  }

  /** Relays bytes both ways, except while {@code paused}: then bytes are dropped, as a hung host would. */
  private static void relay(NetSocket downstream, NetSocket upstream, AtomicBoolean paused) {
    downstream.handler(data -> {
      if (!paused.get()) {
        upstream.write(data);
      }
    });
    upstream.handler(data -> {
      if (!paused.get()) {
        downstream.write(data);
      }
    });
    downstream.closeHandler(v -> upstream.close());
    upstream.closeHandler(v -> downstream.close());
    downstream.resume();
  }
}
