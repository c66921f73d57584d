package dev.magi.retrieval;

import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/** The records of a store's catalogue as JSON objects, and back, for stores that keep them as documents. */
final class Records {

  private Records() {
  }

  static JsonObject info(CollectionInfo info) {
    return new JsonObject().put("id", info.id()).put("name", info.name()).put("embedding_model", info.embeddingModel())
        .put("dimensions", info.dimensions()).put("created_at", info.createdAt())
        .put("metadata", new JsonObject(new HashMap<>(info.metadata())));
  }

  static CollectionInfo info(JsonObject json) {
    Map<String, String> metadata = new HashMap<>();
    json.getJsonObject("metadata", new JsonObject()).forEach(e -> metadata.put(e.getKey(), String.valueOf(e.getValue())));
    return new CollectionInfo(json.getString("id"), json.getString("name"), json.getString("embedding_model"),
        json.getInteger("dimensions"), json.getLong("created_at"), metadata);
  }

  /** A file's record, without its text (kept apart, so that listings need not read it). */
  static JsonObject file(StoredFile file) {
    return new JsonObject().put("id", file.id()).put("filename", file.filename()).put("purpose", file.purpose())
        .put("bytes", file.bytes()).put("created_at", file.createdAt());
  }

  static StoredFile file(JsonObject json, String text) {
    return new StoredFile(json.getString("id"), json.getString("filename"), json.getString("purpose"),
        json.getLong("bytes"), json.getLong("created_at"), text);
  }

  static JsonObject attachment(Attachment attachment) {
    return new JsonObject().put("store_id", attachment.storeId()).put("file_id", attachment.fileId())
        .put("status", attachment.status()).put("error", attachment.error()).put("chunks", attachment.chunks())
        .put("attributes", new JsonObject(new HashMap<>(attachment.attributes())))
        .put("created_at", attachment.createdAt());
  }

  static Attachment attachment(JsonObject json) {
    return new Attachment(json.getString("store_id"), json.getString("file_id"), json.getString("status"),
        json.getString("error"), json.getInteger("chunks"), json.getJsonObject("attributes", new JsonObject()).getMap(),
        json.getLong("created_at"));
  }
}
