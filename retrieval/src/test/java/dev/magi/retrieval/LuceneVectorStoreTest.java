package dev.magi.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.Await;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store on disk: the contract, and what outlives the process. */
class LuceneVectorStoreTest extends VectorStoreContract {

  private static final Vertx VERTX = Vertx.vertx();

  @TempDir
  static Path shared;

  @AfterAll
  static void closeVertx() {
    Await.result(VERTX.close());
  }

  @Override
  protected VectorStore newStore() {
    try {
      return new LuceneVectorStore(VERTX, Files.createTempDirectory(shared, "store"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void everythingCommittedIsThereAfterAReopen(@TempDir Path dir) {
    LuceneVectorStore first = new LuceneVectorStore(VERTX, dir);
    Await.result(first.createCollection("kept", 3));
    Await.result(first.upsert("kept", List.of(new Chunk("a:0", "a", 0, "alpha words", new float[] {1, 0, 0},
        Map.of("n", 1)))));
    Await.result(first.saveInfo(new CollectionInfo("kept", "Kept", "embed", 3, 1L, Map.of())));
    Await.result(first.saveFile(new StoredFile("file-1", "a.md", "assistants", 11, 2L, "alpha words")));
    Await.result(first.close());

    LuceneVectorStore again = new LuceneVectorStore(VERTX, dir);
    try {
      assertEquals(1, Await.result(again.count("kept")));
      assertEquals("a", Await.result(again.search("kept", new float[] {1, 0, 0}, 1, Optional.empty())).get(0)
          .documentId());
      assertEquals("Kept", Await.result(again.info("kept")).orElseThrow().name());
      assertEquals("alpha words", Await.result(again.file("file-1")).orElseThrow().text());
      assertTrue(Await.failure(again.upsert("kept", List.of(new Chunk("b:0", "b", 0, "b", new float[] {1, 0},
          Map.of())))) instanceof IllegalArgumentException, "the dimensions are remembered");
    } finally {
      Await.result(again.close());
    }
  }

  @Test
  void anIdleCollectionIsMergedIntoFewSegmentsAndStaysSearchable(@TempDir Path dir) throws Exception {
    LuceneVectorStore store = new LuceneVectorStore(VERTX, dir, 200);
    try {
      Await.result(store.createCollection("busy", 3));
      for (int i = 0; i < 6; i++) {
        Await.result(store.upsert("busy", List.of(new Chunk("d" + i + ":0", "d" + i, 0, "text " + i,
            new float[] {1, i, 0}, Map.of()))));
      }
      assertTrue(Await.result(store.segments("busy")) > LuceneVectorStore.COMPACT_TO, "a segment a commit");
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (Await.result(store.segments("busy")) > LuceneVectorStore.COMPACT_TO) {
        assertTrue(System.nanoTime() < deadline, "the idle collection was never merged");
        Thread.sleep(50);
      }
      assertEquals(6, Await.result(store.count("busy")));
      assertEquals("d0", Await.result(store.search("busy", new float[] {1, 0, 0}, 1, Optional.empty())).get(0)
          .documentId());
    } finally {
      Await.result(store.close());
    }
  }

  @Test
  void vectorsWiderThanLucenesDefaultLimitAreTaken(@TempDir Path dir) {
    LuceneVectorStore wide = new LuceneVectorStore(VERTX, dir);
    try {
      float[] vector = new float[3072];
      vector[7] = 1;
      Await.result(wide.createCollection("wide", vector.length));
      Await.result(wide.upsert("wide", List.of(new Chunk("w:0", "w", 0, "wide", vector, Map.of()))));
      assertEquals(1.0, Await.result(wide.search("wide", vector, 1, Optional.empty())).get(0).score(), 1e-6);
    } finally {
      Await.result(wide.close());
    }
  }
}
