package dev.magi.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.Await;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract against the real PostgreSQL with pgvector on this machine ({@code scripts/provision-services});
 * and the HNSW index, built once a collection is large enough and idle, not row by row.
 */
class PgVectorStoreTest extends VectorStoreContract {

  static final String URL = System.getenv().getOrDefault("MAGI_TEST_DATABASE_URL",
      "postgresql://postgres@127.0.0.1:5432/test");
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Await.result(vertx.close());
  }

  @Override
  protected VectorStore newStore() {
    PgVectorStore store = PgVectorStore.connect(vertx, URL, Optional.empty(), 4);
    Await.result(store.initialise());
    return store;
  }

  @Test
  void aLargeEnoughIdleCollectionGetsItsVectorIndexOnceAndIsSearchedThroughIt() throws Exception {
    PgVectorStore store = PgVectorStore.connect(vertx, URL, Optional.empty(), 4, new PgVectorStore.IndexPolicy(30, 200));
    Await.result(store.initialise());
    String name = "t_index_" + Long.toHexString(System.nanoTime());
    Await.result(store.createCollection(name, 3));
    try {
      Await.result(store.upsert(name, List.of(new Chunk("a:0", "a", 0, "a", new float[] {1, 0, 0}, Map.of()))));
      Await.result(store.indexIfLarge(name));
      assertFalse(Await.result(store.indexed(name)), "a small collection is searched exactly");
      List<Chunk> more = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        more.add(new Chunk("d" + i + ":0", "d" + i, 0, "d" + i, new float[] {0, 1, i}, Map.of()));
      }
      Await.result(store.upsert(name, more));
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (!Await.result(store.indexed(name))) {
        assertTrue(System.nanoTime() < deadline, "the index was never built");
        Thread.sleep(50);
      }
      assertEquals("a", Await.result(store.search(name, new float[] {1, 0, 0}, 1, Optional.empty())).get(0)
          .documentId());
    } finally {
      Await.result(store.dropCollection(name));
      Await.result(store.close());
    }
  }

  @Test
  void anIndexInFullPrecisionFromAnEarlierVersionIsReplacedByOneInHalfPrecision() throws Exception {
    PgVectorStore store = PgVectorStore.connect(vertx, URL, Optional.empty(), 4, new PgVectorStore.IndexPolicy(30,
        60_000));
    io.vertx.sqlclient.Pool sql = io.vertx.pgclient.PgBuilder.pool().connectingTo(URL).using(vertx).build();
    Await.result(store.initialise());
    String name = "t_upgrade_" + Long.toHexString(System.nanoTime());
    Await.result(store.createCollection(name, 3));
    try {
      List<Chunk> chunks = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        chunks.add(new Chunk("d" + i + ":0", "d" + i, 0, "d" + i, new float[] {1, i, 0}, Map.of()));
      }
      Await.result(store.upsert(name, chunks));
      Await.result(sql.query("CREATE INDEX " + name + "_embedding ON magi." + name
          + " USING hnsw (embedding vector_cosine_ops)").execute());
      assertFalse(Await.result(store.indexed(name)), "the old index is not the one searches use");

      Await.result(store.indexIfLarge(name));

      assertTrue(Await.result(store.indexed(name)));
      List<String> indexes = new ArrayList<>();
      Await.result(sql.query("SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'magi' AND"
          + " tablename = '" + name + "' AND indexdef LIKE '%hnsw%'").execute()).forEach(row -> indexes.add(
              row.getString(0)));
      assertEquals(1, indexes.size(), indexes.toString());
      assertTrue(indexes.get(0).startsWith(name + "_embedding_half ") && indexes.get(0).contains("halfvec(3)"),
          indexes.get(0));
      assertEquals("d0", Await.result(store.search(name, new float[] {1, 0, 0}, 1, Optional.empty())).get(0)
          .documentId());
    } finally {
      Await.result(store.dropCollection(name));
      Await.result(store.close());
      Await.result(sql.close());
    }
  }
}
