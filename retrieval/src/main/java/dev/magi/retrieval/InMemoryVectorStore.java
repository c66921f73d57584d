package dev.magi.retrieval;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store held in memory, for tests and for {@code retrieval.store: memory}: exact cosine search and
 * BM25 over every chunk. Not persisted: its collections are gone when Magi stops. Thread-safe.
 */
public final class InMemoryVectorStore implements VectorStore, FileStore {

  private final Map<String, Collection> collections = new ConcurrentHashMap<>();
  private final Map<String, StoredFile> files = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, Attachment> attachments = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, CollectionInfo> infos = java.util.Collections.synchronizedMap(new LinkedHashMap<>());

  private record Collection(int dimensions, Map<String, Chunk> chunks) {
  }

  @Override
  public Future<Void> createCollection(String collection, int dimensions) {
    VectorStore.checkCollection(collection);
    collections.putIfAbsent(collection, new Collection(dimensions, new LinkedHashMap<>()));
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> dropCollection(String collection) {
    collections.remove(VectorStore.checkCollection(collection));
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> upsert(String collection, List<Chunk> chunks) {
    Collection target = existing(collection);
    for (Chunk chunk : chunks) {
      if (chunk.vector().length != target.dimensions()) {
        return Future.failedFuture(new IllegalArgumentException("chunk " + chunk.id() + " has " + chunk.vector().length
            + " dimensions, the collection " + target.dimensions()));
      }
    }
    synchronized (target) {
      chunks.forEach(chunk -> target.chunks().put(chunk.id(), chunk));
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Integer> deleteDocument(String collection, String documentId) {
    Collection target = existing(collection);
    synchronized (target) {
      int before = target.chunks().size();
      target.chunks().values().removeIf(chunk -> chunk.documentId().equals(documentId));
      return Future.succeededFuture(before - target.chunks().size());
    }
  }

  @Override
  public Future<List<Match>> search(String collection, SearchQuery query) {
    Collection target = existing(collection);
    List<Chunk> candidates = new ArrayList<>();
    synchronized (target) {
      for (Chunk chunk : target.chunks().values()) {
        if (query.filter().isEmpty() || query.filter().get().test(chunk.attributes())) {
          candidates.add(chunk);
        }
      }
    }
    return Future.succeededFuture(switch (query.ranker()) {
      case VECTOR -> RankFusion.keep(byVector(candidates, query.vector(), query.limit()), query.limit(),
          query.scoreThreshold());
      case KEYWORD -> RankFusion.byRank(byKeyword(candidates, query.text(), query.limit()), query.limit(),
          query.scoreThreshold());
      case AUTO -> RankFusion.hybrid(
          query.weights().vector() > 0 ? byVector(candidates, query.vector(), query.candidates()) : List.of(),
          query.weights().text() > 0 ? byKeyword(candidates, query.text(), query.candidates()) : List.of(), query);
    });
  }

  private static List<Match> byVector(List<Chunk> chunks, float[] vector, int limit) {
    List<Match> matches = new ArrayList<>();
    for (Chunk chunk : chunks) {
      matches.add(match(chunk, cosine(vector, chunk.vector())));
    }
    matches.sort(Comparator.comparingDouble(Match::score).reversed());
    return List.copyOf(matches.subList(0, Math.min(limit, matches.size())));
  }

  /** BM25 ({@code k1} 1.2, {@code b} 0.75) over {@code chunks}: those containing a word of {@code text}, best first. */
  private static List<Match> byKeyword(List<Chunk> chunks, String text, int limit) {
    List<String> terms = Words.ofQuery(text);
    if (terms.isEmpty() || chunks.isEmpty()) {
      return List.of();
    }
    List<Map<String, Integer>> frequencies = new ArrayList<>();
    int[] lengths = new int[chunks.size()];
    Map<String, Integer> documentFrequency = new java.util.HashMap<>();
    long totalLength = 0;
    for (int i = 0; i < chunks.size(); i++) {
      Map<String, Integer> counts = new java.util.HashMap<>();
      List<String> words = Words.of(chunks.get(i).text());
      lengths[i] = words.size();
      totalLength += words.size();
      for (String word : words) {
        counts.merge(word, 1, Integer::sum);
      }
      frequencies.add(counts);
      terms.forEach(term -> {
        if (counts.containsKey(term)) {
          documentFrequency.merge(term, 1, Integer::sum);
        }
      });
    }
    double averageLength = Math.max(1, totalLength / (double) chunks.size());
    List<Match> matches = new ArrayList<>();
    for (int i = 0; i < chunks.size(); i++) {
      Map<String, Integer> counts = frequencies.get(i);
      int length = lengths[i];
      double score = 0;
      for (String term : terms) {
        Integer tf = counts.get(term);
        if (tf != null) {
          int df = documentFrequency.get(term);
          double idf = Math.log(1 + (chunks.size() - df + 0.5) / (df + 0.5));
          score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / averageLength));
        }
      }
      if (score > 0) {
        matches.add(match(chunks.get(i), score));
      }
    }
    matches.sort(Comparator.comparingDouble(Match::score).reversed());
    return List.copyOf(matches.subList(0, Math.min(limit, matches.size())));
  }

  private static Match match(Chunk chunk, double score) {
    return new Match(chunk.id(), chunk.documentId(), chunk.text(), chunk.attributes(), score);
  }

  @Override
  public Future<Integer> count(String collection) {
    Collection target = existing(collection);
    synchronized (target) {
      return Future.succeededFuture(target.chunks().size());
    }
  }

  @Override
  public Future<Void> saveInfo(CollectionInfo info) {
    infos.put(info.id(), info);
    return Future.succeededFuture();
  }

  @Override
  public Future<Optional<CollectionInfo>> info(String collection) {
    return Future.succeededFuture(Optional.ofNullable(infos.get(collection)));
  }

  @Override
  public Future<List<CollectionInfo>> listInfo() {
    synchronized (infos) {
      return Future.succeededFuture(List.copyOf(infos.values()));
    }
  }

  @Override
  public Future<Void> deleteInfo(String collection) {
    infos.remove(collection);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> saveFile(StoredFile file) {
    files.put(file.id(), file);
    return Future.succeededFuture();
  }

  @Override
  public Future<Optional<StoredFile>> file(String id) {
    return Future.succeededFuture(Optional.ofNullable(files.get(id)));
  }

  @Override
  public Future<List<StoredFile>> listFiles() {
    synchronized (files) {
      return Future.succeededFuture(files.values().stream()
          .map(f -> new StoredFile(f.id(), f.filename(), f.purpose(), f.bytes(), f.createdAt(), "")).toList());
    }
  }

  @Override
  public Future<Boolean> deleteFile(String id) {
    return Future.succeededFuture(files.remove(id) != null);
  }

  @Override
  public Future<Void> saveAttachment(Attachment attachment) {
    attachments.put(attachment.storeId() + "/" + attachment.fileId(), attachment);
    return Future.succeededFuture();
  }

  @Override
  public Future<Optional<Attachment>> attachment(String storeId, String fileId) {
    return Future.succeededFuture(Optional.ofNullable(attachments.get(storeId + "/" + fileId)));
  }

  @Override
  public Future<List<Attachment>> attachments(String storeId) {
    synchronized (attachments) {
      return Future.succeededFuture(attachments.values().stream().filter(a -> a.storeId().equals(storeId)).toList());
    }
  }

  @Override
  public Future<Boolean> deleteAttachment(String storeId, String fileId) {
    return Future.succeededFuture(attachments.remove(storeId + "/" + fileId) != null);
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }

  private Collection existing(String collection) {
    Collection target = collections.get(VectorStore.checkCollection(collection));
    if (target == null) {
      throw new IllegalArgumentException("no collection " + collection);
    }
    return target;
  }

  /** Cosine similarity; 0 when either vector is all zeros. */
  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }
}
