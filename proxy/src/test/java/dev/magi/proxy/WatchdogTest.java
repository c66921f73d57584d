package dev.magi.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The watchdog ticks what it watches, and an item that leaves is neither ticked nor kept. */
class WatchdogTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Records its ticks and runs {@code onTick} on each. */
  private static final class Item extends Watchdog.Watched {
    final String name;
    final List<String> log;
    Consumer<Item> onTick = item -> { };

    Item(String name, List<String> log) {
      this.name = name;
      this.log = log;
    }

    @Override
    void tick(long nowNanos) {
      log.add(name);
      onTick.accept(this);
    }
  }

  /** Runs {@code setup} on an event loop, then waits for {@code ticks} ticks of a probe watched last. */
  private List<String> run(int ticks, java.util.function.BiConsumer<Watchdog, List<String>> setup) throws Exception {
    CompletableFuture<List<String>> done = new CompletableFuture<>();
    vertx.runOnContext(ignored -> {
      List<String> log = new ArrayList<>();
      Watchdog watchdog = new Watchdog(vertx);
      setup.accept(watchdog, log);
      Item probe = new Item("probe", log);
      int[] seen = {0};
      probe.onTick = item -> {
        if (++seen[0] == ticks) {
          watchdog.stop();
          done.complete(List.copyOf(log));
        }
      };
      watchdog.watch(probe);
    });
    return done.get(10, TimeUnit.SECONDS);
  }

  @Test
  void anItemIsTickedUntilItLeaves() throws Exception {
    List<String> log = run(3, (watchdog, ticks) -> {
      Item once = new Item("once", ticks);
      once.onTick = Watchdog.Watched::unwatch;
      watchdog.watch(once);
      watchdog.watch(once);
    });

    assertEquals(List.of("once", "probe", "probe", "probe"), log, "ticked once though watched twice");
  }

  @Test
  void anItemThatLeavesDuringAnotherItemsTickIsSkipped() throws Exception {
    List<String> log = run(2, (watchdog, ticks) -> {
      Item first = new Item("first", ticks);
      Item second = new Item("second", ticks);
      first.onTick = item -> second.unwatch();
      watchdog.watch(first);
      watchdog.watch(second);
    });

    assertEquals(List.of("first", "probe", "first", "probe"), log);
  }

  @Test
  void anItemWatchedDuringATickIsTickedAfterTheOthers() throws Exception {
    List<String> log = run(2, (watchdog, ticks) -> {
      Item joining = new Item("joining", ticks);
      Item first = new Item("first", ticks);
      first.onTick = item -> {
        item.unwatch();
        watchdog.watch(joining);
      };
      watchdog.watch(first);
    });

    assertEquals(List.of("first", "probe", "joining", "probe"), log, "in the tick it joined, after the probe");
  }

  @Test
  void anItemThatLeftIsNoLongerWatched() throws Exception {
    CompletableFuture<boolean[]> states = new CompletableFuture<>();
    vertx.runOnContext(ignored -> {
      Watchdog watchdog = new Watchdog(vertx);
      Item item = new Item("item", new ArrayList<>());
      boolean before = item.watched();
      watchdog.watch(item);
      boolean during = item.watched();
      item.unwatch();
      item.unwatch();
      watchdog.stop();
      states.complete(new boolean[] {before, during, item.watched()});
    });
    boolean[] watched = states.get(10, TimeUnit.SECONDS);

    assertFalse(watched[0]);
    assertTrue(watched[1]);
    assertFalse(watched[2], "left, and leaving twice is harmless");
  }
}
