package dev.magi.gateway.rag;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.gateway.api.Replies;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import dev.magi.retrieval.CollectionInfo;
import dev.magi.retrieval.Match;
import dev.magi.retrieval.RetrievalService;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Function;

/**
 * OpenAI's vector-store API over {@link RetrievalService}: create, list, get, delete, a direct
 * {@code documents} path for text without files, and search. Bodies bind to
 * {@link VectorStoreRequests}, which bounds every size and number a client sends; every failure is an
 * OpenAI-shaped error naming its {@code param}.
 */
public final class VectorStoresApi {

  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(
      VectorStoresApi.class.getName());

  private final RetrievalService service;
  private final MagiConfig.Retrieval config;

  public VectorStoresApi(RetrievalService service, MagiConfig.Retrieval config) {
    this.service = service;
    this.config = config;
  }

  /** What the routes that take a JSON body read it with: a document, and some room for its JSON. */
  public BodyHandler body() {
    return BodyHandler.create(false).setBodyLimit(config.maxDocumentBytes() + (1 << 20));
  }

  /** {@code GET /v1/vector_stores}. */
  public void list(RoutingContext ctx) {
    respond(ctx, service.list(), stores -> Replies.page(stores, this::storeJson, CollectionInfo::id));
  }

  /** {@code GET /v1/vector_stores/:id}. */
  public void get(RoutingContext ctx) {
    respond(ctx, service.get(ctx.pathParam("id")), this::storeJson);
  }

  /** {@code DELETE /v1/vector_stores/:id}. */
  public void delete(RoutingContext ctx) {
    respond(ctx, service.delete(ctx.pathParam("id")), v -> deleted(ctx.pathParam("id"), "vector_store.deleted"));
  }

  /** {@code GET /v1/vector_stores/:id/files}. */
  public void attachments(RoutingContext ctx) {
    respond(ctx, service.attachments(ctx.pathParam("id")),
        list -> Replies.page(list, VectorStoresApi::attachmentJson, dev.magi.retrieval.Attachment::fileId));
  }

  /** {@code GET /v1/vector_stores/:id/files/:file}. */
  public void attachment(RoutingContext ctx) {
    respond(ctx, service.attachment(ctx.pathParam("id"), ctx.pathParam("file")), VectorStoresApi::attachmentJson);
  }

  /** {@code DELETE /v1/vector_stores/:id/files/:file}. */
  public void detach(RoutingContext ctx) {
    respond(ctx, service.detach(ctx.pathParam("id"), ctx.pathParam("file")),
        v -> deleted(ctx.pathParam("file"), "vector_store.file.deleted"));
  }

  private static ObjectNode deleted(String id, String object) {
    ObjectNode deleted = Json.object();
    deleted.put("id", id).put("object", object).put("deleted", true);
    return deleted;
  }

  /** {@code POST /v1/vector_stores}. */
  public void create(RoutingContext ctx) {
    VectorStoreRequests.CreateStore request = RequestBinding.bind(ctx.body().buffer(),
        VectorStoreRequests.CreateStore.class);
    String name = request.validName();
    Optional<String> model = request.validModel();
    List<String> fileIds = request.validFileIds();
    Map<String, String> metadata = request.validMetadata();
    VectorStoreRequests.Chunking.Sizes chunking = VectorStoreRequests.Chunking.valid(request.chunkingStrategy(),
        config);
    Future<CollectionInfo> created = service.create(name, model, metadata)
        .compose(info -> {
          List<Future<dev.magi.retrieval.Attachment>> attached = new ArrayList<>();
          fileIds.forEach(fileId -> attached.add(service.attach(info.id(), fileId, Map.of(), chunking.tokens(),
              chunking.overlap())));
          return Future.all(attached).map(info);
        });
    respond(ctx, created, this::storeJson);
  }

  /** {@code POST /v1/vector_stores/:id/documents}: texts chunked, embedded and stored. */
  public void documents(RoutingContext ctx) {
    VectorStoreRequests.AddDocuments request = RequestBinding.bind(ctx.body().buffer(),
        VectorStoreRequests.AddDocuments.class);
    List<RetrievalService.Document> documents = request.validDocuments(config.maxDocumentBytes());
    VectorStoreRequests.Chunking.Sizes chunking = VectorStoreRequests.Chunking.valid(request.chunkingStrategy(),
        config);
    respond(ctx, service.ingest(ctx.pathParam("id"), documents, chunking.tokens(), chunking.overlap()), counts -> {
      ObjectNode body = Json.object();
      body.put("object", "list");
      ArrayNode data = body.putArray("data");
      counts.forEach((id, chunks) -> data.addObject().put("id", id).put("object", "vector_store.document")
          .put("chunks", chunks).put("status", "completed"));
      return body;
    });
  }

  /** {@code POST /v1/vector_stores/:id/search}. */
  public void search(RoutingContext ctx) {
    RetrievalService.SearchRequest request = RequestBinding.bind(ctx.body().buffer(),
        VectorStoreRequests.Search.class).valid();
    respond(ctx, service.search(ctx.pathParam("id"), request).compose(matches -> service.filenames(matches)
        .map(names -> searchPage(request.text(), matches, names))), page -> page);
  }

  /** {@code POST /v1/vector_stores/:id/files}: a stored file attached, chunked and embedded. */
  public void attach(RoutingContext ctx) {
    VectorStoreRequests.AttachFile request = RequestBinding.bind(ctx.body().buffer(),
        VectorStoreRequests.AttachFile.class);
    String fileId = request.validFileId();
    Map<String, Object> attributes = request.validAttributes();
    VectorStoreRequests.Chunking.Sizes chunking = VectorStoreRequests.Chunking.valid(request.chunkingStrategy(),
        config);
    respond(ctx, service.attach(ctx.pathParam("id"), fileId, attributes, chunking.tokens(), chunking.overlap()),
        VectorStoresApi::attachmentJson);
  }

  static ObjectNode attachmentJson(dev.magi.retrieval.Attachment attachment) {
    ObjectNode json = Json.object();
    json.put("id", attachment.fileId());
    json.put("object", "vector_store.file");
    json.put("created_at", attachment.createdAt());
    json.put("vector_store_id", attachment.storeId());
    json.put("status", attachment.status());
    json.put("usage_bytes", 0);
    if (attachment.error().isEmpty()) {
      json.putNull("last_error");
    } else {
      json.putObject("last_error").put("code", "server_error").put("message", attachment.error());
    }
    json.set("attributes", Json.MAPPER.valueToTree(attachment.attributes()));
    json.put("chunks", attachment.chunks());
    return json;
  }

  /**
   * A {@code vector_store.search_results.page}: each match's file id and name ({@code filenames}, by
   * id; a document added as text is named by its id).
   */
  static ObjectNode searchPage(String query, List<Match> matches, Map<String, String> filenames) {
    ObjectNode page = Json.object();
    page.put("object", "vector_store.search_results.page");
    page.putArray("search_query").add(query);
    ArrayNode data = page.putArray("data");
    for (Match match : matches) {
      ObjectNode item = data.addObject();
      item.put("file_id", match.documentId());
      item.put("filename", filenames.getOrDefault(match.documentId(), match.documentId()));
      item.put("score", match.score());
      item.set("attributes", Json.MAPPER.valueToTree(match.attributes()));
      item.putArray("content").addObject().put("type", "text").put("text", match.text());
    }
    page.put("has_more", false);
    page.putNull("next_page");
    return page;
  }

  /**
   * A vector store object as OpenAI shapes it, plus {@code persistent}: false when it lives in memory
   * and is lost when Magi stops (no {@code DATABASE_URL}).
   */
  ObjectNode storeJson(CollectionInfo info) {
    ObjectNode store = Json.object();
    store.put("id", info.id());
    store.put("object", "vector_store");
    store.put("created_at", info.createdAt());
    store.put("name", info.name());
    store.put("usage_bytes", 0);
    store.putObject("file_counts").put("in_progress", 0).put("completed", 0).put("failed", 0).put("cancelled", 0)
        .put("total", 0);
    store.put("status", "completed");
    store.putNull("expires_after");
    store.putNull("expires_at");
    store.put("last_active_at", info.createdAt());
    store.set("metadata", Json.MAPPER.valueToTree(info.metadata()));
    store.put("embedding_model", info.embeddingModel());
    store.put("dimensions", info.dimensions());
    store.put("persistent", service.persistent());
    return store;
  }

  /** {@link Replies#respond} with retrieval failures mapped by {@link #toApi}; the files API uses it too. */
  static <T> void respond(RoutingContext ctx, Future<T> result, Function<T, ObjectNode> toJson) {
    Replies.respond(ctx, result, toJson, VectorStoresApi::toApi);
  }

  /** The client's face of a retrieval failure. */
  public static ApiException toApi(Throwable failure) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof NoSuchElementException) {
      return new ApiException(404, "invalid_request_error", null, "vector_store_not_found", failure.getMessage());
    }
    if (RetrievalService.unavailable(failure)) {
      return new ApiException(503, "server_error", null, "retrieval_unavailable", failure.getMessage(),
          Map.of("Retry-After", "5"));
    }
    if (failure instanceof LoopbackEmbedder.EmbeddingFailedException embedding) {
      return new ApiException(embedding.status() == 404 ? 400 : 502, embedding.status() == 404
          ? "invalid_request_error" : "server_error", embedding.status() == 404 ? "embedding_model" : null,
          "embedding_failed", embedding.getMessage());
    }
    if (failure instanceof IllegalArgumentException) {
      return ApiException.invalid(null, failure.getMessage());
    }
    return ApiException.unexpected(LOG, "retrieval", failure);
  }
}
