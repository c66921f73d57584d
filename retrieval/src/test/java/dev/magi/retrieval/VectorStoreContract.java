package dev.magi.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.Await;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link VectorStore} must do; run against each implementation. */
abstract class VectorStoreContract {

  protected VectorStore store;
  protected String collection;

  /** A fresh store for one test. */
  protected abstract VectorStore newStore();

  @BeforeEach
  void open() {
    store = newStore();
    collection = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    Await.result(store.createCollection(collection, 3));
  }

  @AfterEach
  void closeStore() {
    Await.result(store.dropCollection(collection));
    Await.result(store.close());
  }

  private static Chunk chunk(String doc, int index, float[] vector, Map<String, Object> attributes) {
    return new Chunk(doc + ":" + index, doc, index, "text of " + doc + " " + index, vector, attributes);
  }

  private void seed() {
    Await.result(store.upsert(collection, List.of(
        chunk("cats", 0, new float[] {1, 0, 0}, Map.of("topic", "animals", "year", 2020, "public", true)),
        chunk("dogs", 0, new float[] {0.9f, 0.1f, 0}, Map.of("topic", "animals", "year", 2023, "public", false)),
        chunk("rust", 0, new float[] {0, 0, 1}, Map.of("topic", "code", "year", 2024)))));
  }

  private List<String> search(float[] query, Optional<Filter> filter) {
    return Await.result(store.search(collection, query, 10, filter)).stream().map(Match::documentId).toList();
  }

  @Test
  void searchRanksByCosineSimilarity() {
    seed();

    List<Match> matches = Await.result(store.search(collection, new float[] {1, 0, 0}, 2, Optional.empty()));

    assertEquals(List.of("cats", "dogs"), matches.stream().map(Match::documentId).toList());
    assertEquals(1.0, matches.get(0).score(), 1e-6);
    assertTrue(matches.get(1).score() > 0.99 && matches.get(1).score() < 1.0);
    assertEquals("text of cats 0", matches.get(0).text());
    assertEquals("animals", matches.get(0).attributes().get("topic"));
  }

  private void seedWords() {
    Await.result(store.upsert(collection, List.of(
        new Chunk("manual:0", "manual", 0, "Error code E1234 means the pump ran dry", new float[] {0, 1, 0},
            Map.of("kind", "manual")),
        new Chunk("faq:0", "faq", 0, "The pump needs water to run", new float[] {0.1f, 0.9f, 0}, Map.of("kind", "faq")),
        new Chunk("bread:0", "bread", 0, "Sourdough bread rises overnight", new float[] {1, 0, 0}, Map.of()))));
  }

  private List<String> search(SearchQuery query) {
    return Await.result(store.search(collection, query)).stream().map(Match::documentId).toList();
  }

  @Test
  void keywordSearchFindsTheExactWordThatMeaningMisses() {
    seedWords();
    float[] bread = {1, 0, 0};

    assertEquals("bread", search(SearchQuery.byVector(bread, 3, Optional.empty())).get(0));
    List<Match> byWord = Await.result(store.search(collection,
        new SearchQuery(null, "e1234", 3, Optional.empty(), SearchQuery.Ranker.KEYWORD, 0)));
    assertEquals(List.of("manual"), byWord.stream().map(Match::documentId).toList(), "only it has the code");
    assertEquals(1.0, byWord.get(0).score(), 1e-6, "the first of a ranking scores 1");
    assertEquals("Error code E1234 means the pump ran dry", byWord.get(0).text());
    assertEquals(List.of("manual", "faq"), search(new SearchQuery(null, "PUMP e1234", 3, Optional.empty(),
        SearchQuery.Ranker.KEYWORD, 0)), "more words matched rank higher; case does not matter");
    assertEquals(List.of(), search(new SearchQuery(null, "nothing matches", 3, Optional.empty(),
        SearchQuery.Ranker.KEYWORD, 0)));
    assertEquals(List.of("faq"), search(new SearchQuery(null, "pump", 3,
        Optional.of(new Filter.Comparison(Filter.Op.EQ, "kind", "faq")), SearchQuery.Ranker.KEYWORD, 0)));
  }

  @Test
  void hybridSearchFusesMeaningAndWords() {
    seedWords();
    // By meaning the query is about bread; by its words, about the error code.
    SearchQuery query = new SearchQuery(new float[] {1, 0, 0}, "E1234", 3, Optional.empty(), SearchQuery.Ranker.AUTO, 0);

    List<Match> fused = Await.result(store.search(collection, query));

    List<String> top = fused.stream().map(Match::documentId).limit(2).sorted().toList();
    assertEquals(List.of("bread", "manual"), top, "each ranking's best is in the top two: " + fused);
    SearchQuery both = new SearchQuery(new float[] {0, 1, 0}, "E1234 pump", 3, Optional.empty(),
        SearchQuery.Ranker.AUTO, 0);
    List<Match> agreed = Await.result(store.search(collection, both));
    assertEquals("manual", agreed.get(0).documentId());
    assertEquals(1.0, agreed.get(0).score(), 1e-6, "first in both rankings");
    assertEquals(List.of("manual"), search(new SearchQuery(new float[] {0, 1, 0}, "E1234 pump", 3, Optional.empty(),
        SearchQuery.Ranker.AUTO, 0.99)), "the score threshold leaves out the rest (the second of both scores 61/62)");
    assertEquals(List.of("faq", "bread"), search(new SearchQuery(new float[] {1, 0, 0}, "pump", 3,
        Optional.of(new Filter.Comparison(Filter.Op.NE, "kind", "manual")), SearchQuery.Ranker.AUTO, 0)),
        "the filter holds in both rankings (faq: second by meaning, first by words)");
  }

  @Test
  void aQuestionsStopWordsDoNotCountAsKeywordsUnlessItHasNothingElse() {
    seedWords();

    assertEquals(List.of("bread"), search(new SearchQuery(null, "What is the bread?", 3, Optional.empty(),
        SearchQuery.Ranker.KEYWORD, 0)), "'what', 'is' and 'the' match nothing; two other chunks hold 'the'");
    assertEquals(List.of("faq", "manual"), search(new SearchQuery(null, "the", 3, Optional.empty(),
        SearchQuery.Ranker.KEYWORD, 0)).stream().sorted().toList(), "a query of stop words alone keeps them");
  }

  @Test
  void hybridWeightsDecideBetweenMeaningAndWords() {
    seedWords();
    float[] bread = {1, 0, 0};

    assertEquals("manual", search(new SearchQuery(bread, "E1234", 3, Optional.empty(), SearchQuery.Ranker.AUTO, 0,
        new SearchQuery.Weights(1, 3))).get(0), "the words count three times as much");
    assertEquals("manual", search(new SearchQuery(bread, "E1234", 3, Optional.empty(), SearchQuery.Ranker.AUTO, 0,
        new SearchQuery.Weights(3, 1))).get(0), "in both rankings (third by meaning) beats first in one");
    assertEquals("bread", search(new SearchQuery(bread, "E1234", 3, Optional.empty(), SearchQuery.Ranker.AUTO, 0,
        new SearchQuery.Weights(1, 0.01))).get(0), "unless the words count for little");
    List<Match> wordsOnly = Await.result(store.search(collection, new SearchQuery(bread, "E1234", 3,
        Optional.empty(), SearchQuery.Ranker.AUTO, 0, new SearchQuery.Weights(0, 1))));
    assertEquals(List.of("manual"), wordsOnly.stream().map(Match::documentId).toList(),
        "a ranking of weight 0 does not run");
    assertEquals(1.0, wordsOnly.get(0).score(), 1e-6);
    assertEquals(List.of("bread", "faq", "manual"), search(new SearchQuery(bread, "E1234", 3, Optional.empty(),
        SearchQuery.Ranker.AUTO, 0, new SearchQuery.Weights(1, 0))));
  }

  @Test
  void aVectorSearchKeepsMatchesOfNegativeSimilarity() {
    seed();

    List<Match> all = Await.result(store.search(collection, new float[] {-1, 0, 0}, 10, Optional.empty()));

    assertEquals(3, all.size(), "no threshold: every chunk, however unlike");
    assertEquals(-1.0, all.get(all.size() - 1).score(), 1e-6);
  }

  @Test
  void upsertReplacesAChunkWithTheSameId() {
    seed();
    Await.result(store.upsert(collection, List.of(chunk("rust", 0, new float[] {1, 0, 0}, Map.of()))));

    assertEquals(3, Await.result(store.count(collection)), "replaced, not added");
    Match rust = Await.result(store.search(collection, new float[] {1, 0, 0}, 3, Optional.empty())).stream()
        .filter(m -> m.documentId().equals("rust")).findFirst().orElseThrow();
    assertEquals(1.0, rust.score(), 1e-6, "the new vector is the one searched");
    assertEquals(Map.of(), rust.attributes(), "and the new attributes");
  }

  @Test
  void deletingADocumentRemovesAllItsChunks() {
    seed();
    Await.result(store.upsert(collection, List.of(chunk("cats", 1, new float[] {0, 1, 0}, Map.of()))));

    assertEquals(2, Await.result(store.deleteDocument(collection, "cats")));
    assertEquals(2, Await.result(store.count(collection)));
    assertEquals(0, Await.result(store.deleteDocument(collection, "cats")));
  }

  @Test
  void filtersOnAttributes() {
    seed();
    float[] any = {1, 1, 1};
    Filter animals = new Filter.Comparison(Filter.Op.EQ, "topic", "animals");
    Filter recent = new Filter.Comparison(Filter.Op.GTE, "year", 2023);

    assertEquals(List.of("cats", "dogs"), sorted(search(any, Optional.of(animals))));
    assertEquals(List.of("dogs", "rust"), sorted(search(any, Optional.of(recent))));
    assertEquals(List.of("dogs"), search(any, Optional.of(new Filter.Compound(true, List.of(animals, recent)))));
    assertEquals(List.of("cats", "dogs", "rust"),
        sorted(search(any, Optional.of(new Filter.Compound(false, List.of(animals, recent))))));
    assertEquals(List.of("cats"), search(any, Optional.of(new Filter.Comparison(Filter.Op.EQ, "public", true))));
    assertEquals(List.of("dogs", "rust"), sorted(search(any,
        Optional.of(new Filter.Comparison(Filter.Op.NE, "public", true)))), "a missing key passes ne");
    assertEquals(List.of("cats"), search(any, Optional.of(new Filter.Comparison(Filter.Op.LT, "year", 2021.5))));
    assertEquals(List.of(), search(any, Optional.of(new Filter.Comparison(Filter.Op.GT, "topic", 5))),
        "a number compared with a string attribute matches nothing");
  }

  @Test
  void hostileFilterKeysAndValuesAreOnlyData() {
    seed();
    String hostile = "topic'); DROP TABLE magi." + collection + "; --";

    assertEquals(List.of(), search(new float[] {1, 0, 0},
        Optional.of(new Filter.Comparison(Filter.Op.EQ, hostile, hostile))));
    assertEquals(3, Await.result(store.count(collection)), "the table is still there");
  }

  @Test
  void vectorsOfTheWrongLengthAreRefused() {
    Throwable failure = Await.failure(store.upsert(collection, List.of(chunk("x", 0, new float[] {1, 0}, Map.of()))));

    assertInstanceOf(IllegalArgumentException.class, failure);
    assertEquals(0, Await.result(store.count(collection)), "nothing was written");
  }

  @Test
  void collectionIdsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> store.createCollection("x; DROP TABLE y", 3));
    assertThrows(IllegalArgumentException.class, () -> store.count("UPPER"));
  }

  private static List<String> sorted(List<String> list) {
    return list.stream().sorted().toList();
  }

  @Test
  void collectionInfoIsKept() {
    CollectionInfo info = new CollectionInfo(collection, "Support docs", "nomic-embed-text", 3, 1795332954L,
        Map.of("team", "support"));

    Await.result(store.saveInfo(info));

    assertEquals(Optional.of(info), Await.result(store.info(collection)));
    assertTrue(Await.result(store.listInfo()).contains(info));
    Await.result(store.deleteInfo(collection));
    assertEquals(Optional.empty(), Await.result(store.info(collection)));
  }

  @Test
  void filesAndAttachmentsAreKept() {
    FileStore files = (FileStore) store;
    String fileId = "file-" + collection;
    Await.result(files.saveFile(new StoredFile(fileId, "faq.md", "assistants", 11, 1795332954L, "hello world")));

    assertEquals("hello world", Await.result(files.file(fileId)).orElseThrow().text());
    assertTrue(Await.result(files.listFiles()).stream().anyMatch(f -> f.id().equals(fileId) && f.text().isEmpty()),
        "listings leave the text out");
    Attachment pending = new Attachment(collection, fileId, "in_progress", "", 0, Map.of("lang", "en"), 1795332954L);
    Await.result(files.saveAttachment(pending));
    Await.result(files.saveAttachment(pending.with("completed", "", 3)));

    Attachment done = Await.result(files.attachment(collection, fileId)).orElseThrow();
    assertEquals("completed", done.status());
    assertEquals(3, done.chunks());
    assertEquals("en", done.attributes().get("lang"));
    assertEquals(List.of(done), Await.result(files.attachments(collection)));
    assertTrue(Await.result(files.deleteAttachment(collection, fileId)));
    assertTrue(Await.result(files.deleteFile(fileId)));
    assertEquals(Optional.empty(), Await.result(files.file(fileId)));
  }
}
