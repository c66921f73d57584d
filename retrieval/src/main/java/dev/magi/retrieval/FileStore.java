package dev.magi.retrieval;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/** Uploaded files and their attachments to vector stores. Same failure rules as {@link VectorStore}. */
public interface FileStore {

  Future<Void> saveFile(StoredFile file);

  /** The file; empty when there is none. */
  Future<Optional<StoredFile>> file(String id);

  /** Every file, oldest first, without their text. */
  Future<List<StoredFile>> listFiles();

  /** Deletes a file; returns whether it existed. */
  Future<Boolean> deleteFile(String id);

  /** Creates or replaces an attachment. */
  Future<Void> saveAttachment(Attachment attachment);

  /** The attachment of {@code fileId} to {@code storeId}; empty when there is none. */
  Future<Optional<Attachment>> attachment(String storeId, String fileId);

  /** The attachments of a store, oldest first. */
  Future<List<Attachment>> attachments(String storeId);

  /** Removes an attachment; returns whether it existed. */
  Future<Boolean> deleteAttachment(String storeId, String fileId);
}
