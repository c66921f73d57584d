package dev.magi.retrieval;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/**
 * Collections of embedded chunks, searched by cosine similarity, by keyword, or both. Implementations:
 * {@link PgVectorStore} (PostgreSQL + pgvector), {@link LuceneVectorStore} (on disk, the default) and
 * {@link InMemoryVectorStore}; all pass one contract test suite.
 *
 * <p>Collection ids are chosen by Magi, never by clients: {@code [a-z0-9_]{1,60}}. Every method
 * fails with {@link RetrievalUnavailableException} when the store cannot be reached.
 */
public interface VectorStore {

  /** A valid collection id. */
  java.util.regex.Pattern COLLECTION_ID = java.util.regex.Pattern.compile("[a-z0-9_]{1,60}");

  /** Creates a collection of vectors of {@code dimensions}; creating an existing one does nothing. */
  Future<Void> createCollection(String collection, int dimensions);

  /** Deletes a collection and everything in it; a missing one is no error. */
  Future<Void> dropCollection(String collection);

  /**
   * Inserts chunks, replacing any with the same id, all at once.
   *
   * @throws IllegalArgumentException (as a failed future) when a vector has the wrong length
   */
  Future<Void> upsert(String collection, List<Chunk> chunks);

  /** Deletes every chunk of a document; returns how many there were. */
  Future<Integer> deleteDocument(String collection, String documentId);

  /**
   * The chunks that best answer {@code query} and pass its filter, best first: by meaning, by keyword, or
   * both fused ({@link SearchQuery.Ranker}); at most its limit, none below its score threshold.
   *
   * @return the matches; empty when nothing passes
   */
  Future<List<Match>> search(String collection, SearchQuery query);

  /** The {@code limit} chunks most similar to {@code query} that pass {@code filter}, best first. */
  default Future<List<Match>> search(String collection, float[] query, int limit, Optional<Filter> filter) {
    return search(collection, SearchQuery.byVector(query, limit, filter));
  }

  /** How many chunks the collection holds. */
  Future<Integer> count(String collection);

  /** Records what a collection is (creating or replacing the record). */
  Future<Void> saveInfo(CollectionInfo info);

  /** What a collection is; empty when there is no such collection. */
  Future<Optional<CollectionInfo>> info(String collection);

  /** Every collection, oldest first. */
  Future<List<CollectionInfo>> listInfo();

  /** Forgets what a collection is (its chunks go with {@link #dropCollection}). */
  Future<Void> deleteInfo(String collection);

  /** Releases connections. */
  Future<Void> close();

  /** Checks that {@code collection} is a valid id (they become table names). */
  static String checkCollection(String collection) {
    if (collection == null || !COLLECTION_ID.matcher(collection).matches()) {
      throw new IllegalArgumentException("invalid collection id: " + collection);
    }
    return collection;
  }
}
