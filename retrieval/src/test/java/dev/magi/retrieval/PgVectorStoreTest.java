package dev.magi.retrieval;

import dev.magi.testkit.Await;
import io.vertx.core.Vertx;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract against the real PostgreSQL with pgvector on this machine ({@code scripts/provision-services}). */
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
}
