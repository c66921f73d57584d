package dev.magi.gateway.rag;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.gateway.api.Replies;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.CallerContext;
import dev.magi.proxy.api.Json;
import dev.magi.retrieval.RetrievalService;
import dev.magi.retrieval.StoredFile;
import io.vertx.core.Future;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * OpenAI's Files API, for files to put into vector stores: {@code POST /v1/files} (multipart,
 * {@code purpose: assistants}), list, get, content, delete. Text, Markdown and JSON only; bounded in size.
 */
public final class FilesApi {

  private static final Set<String> PURPOSES = Set.of("assistants", "user_data");

  private final RetrievalService service;
  private final MagiConfig.Retrieval config;
  private final Path uploads;

  /** @param uploads where multipart uploads are written while they arrive (deleted when answered) */
  public FilesApi(RetrievalService service, MagiConfig.Retrieval config, Path uploads) {
    this.service = service;
    this.config = config;
    this.uploads = uploads;
  }

  /** What {@code POST /v1/files} reads its multipart body with: uploads go to a private directory. */
  public BodyHandler uploadBody() {
    return BodyHandler.create(true)
        .setUploadsDirectory(uploads.toString())
        .setDeleteUploadedFilesOnEnd(true)
        .setBodyLimit(config.maxDocumentBytes() + 64 * 1024);
  }

  /** {@code GET /v1/files}. */
  public void list(RoutingContext ctx) {
    VectorStoresApi.respond(ctx, service.listFiles(), files -> Replies.page(files, FilesApi::fileJson, StoredFile::id));
  }

  /** {@code GET /v1/files/:id}. */
  public void get(RoutingContext ctx) {
    VectorStoresApi.respond(ctx, service.file(ctx.pathParam("id")), FilesApi::fileJson);
  }

  /** {@code GET /v1/files/:id/content}. */
  public void content(RoutingContext ctx) {
    CallerContext.resume(service.file(ctx.pathParam("id"))).onComplete(found -> {
      if (found.failed()) {
        ctx.fail(VectorStoresApi.toApi(found.cause()));
      } else if (!ctx.response().closed()) {
        ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(found.result().text());
      }
    });
  }

  /** {@code DELETE /v1/files/:id}. */
  public void delete(RoutingContext ctx) {
    VectorStoresApi.respond(ctx, service.deleteFile(ctx.pathParam("id")), v -> {
      ObjectNode deleted = Json.object();
      deleted.put("id", ctx.pathParam("id")).put("object", "file").put("deleted", true);
      return deleted;
    });
  }

  /** {@code POST /v1/files}: one file in the multipart field {@code file}, and its {@code purpose}. */
  public void upload(RoutingContext ctx) {
    String purpose = ctx.request().getFormAttribute("purpose");
    if (purpose == null || !PURPOSES.contains(purpose)) {
      throw ApiException.invalid("purpose", "'purpose' must be 'assistants' (or 'user_data') for files Magi stores.");
    }
    List<FileUpload> uploads = ctx.fileUploads().stream().filter(u -> u.name().equals("file")).toList();
    if (uploads.size() != 1) {
      throw ApiException.invalid("file", "Send exactly one file in the multipart field 'file'.");
    }
    FileUpload upload = uploads.get(0);
    if (upload.size() > config.maxDocumentBytes()) {
      throw ApiException.invalid("file", "Files may be at most " + config.maxDocumentBytes() + " bytes.");
    }
    String filename = Path.of(upload.fileName()).getFileName().toString();
    Future<StoredFile> stored = ctx.vertx().fileSystem().readFile(upload.uploadedFileName())
        .compose(bytes -> service.upload(filename, purpose, bytes.getBytes()))
        .recover(failure -> Future.failedFuture(failure instanceof IllegalArgumentException
            ? ApiException.invalid("file", failure.getMessage()) : failure));
    VectorStoresApi.respond(ctx, stored, FilesApi::fileJson);
  }

  static ObjectNode fileJson(StoredFile file) {
    ObjectNode json = Json.object();
    json.put("id", file.id());
    json.put("object", "file");
    json.put("bytes", file.bytes());
    json.put("created_at", file.createdAt());
    json.put("filename", file.filename());
    json.put("purpose", file.purpose());
    json.put("status", "processed");
    json.putNull("expires_at");
    json.putNull("status_details");
    return json;
  }
}
