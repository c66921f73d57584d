package dev.magi.gateway.rag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.gateway.api.Replies;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import dev.magi.retrieval.CollectionInfo;
import dev.magi.retrieval.Filter;
import dev.magi.retrieval.SearchQuery;
import dev.magi.retrieval.Match;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * OpenAI's vector-store API over {@link RetrievalService}: create, list, get, delete, a direct
 * {@code documents} path for text without files, and search. Every size and number a client sends is
 * bounded, and every failure is an OpenAI-shaped error naming its {@code param}.
 */
public final class VectorStoresApi {

  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(
      VectorStoresApi.class.getName());

  static final int MAX_DOCUMENTS = 1000;
  static final int MAX_ATTRIBUTES = 16;
  static final int MAX_FILTER_DEPTH = 8;
  static final int MAX_FILTER_TERMS = 64;
  static final Pattern DOCUMENT_ID = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");

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
    JsonNode request = object(ctx.body().buffer());
    String name = optionalText(request, "name", 256).orElse("");
    Optional<String> model = optionalText(request, "embedding_model", 256);
    JsonNode files = request.get("file_ids");
    List<String> fileIds = new ArrayList<>();
    if (files != null && !files.isNull()) {
      if (!files.isArray() || files.size() > 500) {
        throw ApiException.invalid("file_ids", "'file_ids' must be an array of at most 500 file ids.");
      }
      files.forEach(f -> fileIds.add(f.asText()));
    }
    int[] chunking = chunking(request.get("chunking_strategy"));
    Future<CollectionInfo> created = service.create(name, model, metadata(request.get("metadata")))
        .compose(info -> {
          List<Future<dev.magi.retrieval.Attachment>> attached = new ArrayList<>();
          fileIds.forEach(fileId -> attached.add(service.attach(info.id(), fileId, Map.of(), chunking[0],
              chunking[1])));
          return Future.all(attached).map(info);
        });
    respond(ctx, created, this::storeJson);
  }

  /** {@code POST /v1/vector_stores/:id/documents}: texts chunked, embedded and stored. */
  public void documents(RoutingContext ctx) {
    JsonNode request = object(ctx.body().buffer());
    JsonNode documents = request.get("documents");
    if (documents == null || !documents.isArray() || documents.isEmpty()) {
      throw ApiException.invalid("documents", "'documents' must be a non-empty array of {id?, text, attributes?}.");
    }
    if (documents.size() > MAX_DOCUMENTS) {
      throw ApiException.invalid("documents", "At most " + MAX_DOCUMENTS + " documents per request.");
    }
    List<RetrievalService.Document> list = new ArrayList<>();
    for (int i = 0; i < documents.size(); i++) {
      String at = "documents[" + i + "]";
      JsonNode document = documents.get(i);
      if (!document.isObject()) {
        throw ApiException.invalid(at, "Each document must be an object.");
      }
      JsonNode text = document.get("text");
      if (text == null || !text.isTextual() || text.asText().isBlank()) {
        throw ApiException.invalid(at + ".text", "'text' must be a non-empty string.");
      }
      if (text.asText().length() > config.maxDocumentBytes()) {
        throw ApiException.invalid(at + ".text", "A document may hold at most " + config.maxDocumentBytes()
            + " characters.");
      }
      Optional<String> id = Optional.empty();
      JsonNode given = document.get("id");
      if (given != null && !given.isNull()) {
        if (!given.isTextual() || !DOCUMENT_ID.matcher(given.asText()).matches()) {
          throw ApiException.invalid(at + ".id", "'id' must be 1-128 characters of letters, digits and _.:-");
        }
        id = Optional.of(given.asText());
      }
      list.add(new RetrievalService.Document(id, text.asText(), attributes(document.get("attributes"),
          at + ".attributes")));
    }
    int[] chunking = chunking(request.get("chunking_strategy"));
    respond(ctx, service.ingest(ctx.pathParam("id"), list, chunking[0], chunking[1]), counts -> {
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
    JsonNode request = object(ctx.body().buffer());
    JsonNode queryNode = request.get("query");
    String query;
    if (queryNode != null && queryNode.isTextual() && !queryNode.asText().isBlank()) {
      query = queryNode.asText();
    } else if (queryNode != null && queryNode.isArray() && !queryNode.isEmpty() && queryNode.size() <= 16) {
      StringBuilder joined = new StringBuilder();
      queryNode.forEach(q -> joined.append(joined.length() == 0 ? "" : "\n").append(q.asText()));
      query = joined.toString();
    } else {
      throw ApiException.invalid("query", "'query' must be a non-empty string (or up to 16 strings).");
    }
    if (query.length() > 32_768) {
      throw ApiException.invalid("query", "'query' may hold at most 32768 characters.");
    }
    int limit = integer(request, "max_num_results", 10, 1, 50);
    Optional<Filter> filter = request.has("filters") && !request.get("filters").isNull()
        ? Optional.of(filter(request.get("filters"), "filters", 0, new int[1])) : Optional.empty();
    JsonNode ranking = request.get("ranking_options");
    if (ranking != null && !ranking.isNull() && !ranking.isObject()) {
      throw ApiException.invalid("ranking_options", "'ranking_options' must be an object.");
    }
    SearchQuery.Ranker ranker = ranker(ranking == null ? null : ranking.get("ranker"));
    double threshold = scoreThreshold(ranking == null ? null : ranking.get("score_threshold"));
    String finalQuery = query;
    respond(ctx, service.search(ctx.pathParam("id"), query, limit, filter, ranker, threshold),
        matches -> searchPage(finalQuery, matches));
  }

  /**
   * {@code ranking_options.ranker}: {@code auto} (the default) and OpenAI's {@code default-2024-11-15} fuse
   * vector and keyword rankings; {@code vector} and {@code keyword} use one.
   */
  public static SearchQuery.Ranker ranker(JsonNode node) {
    if (node == null || node.isNull()) {
      return SearchQuery.Ranker.AUTO;
    }
    return switch (node.isTextual() ? node.asText() : "") {
      case "auto", "default-2024-11-15", "default_2024_08_21", "default-2024-08-21" -> SearchQuery.Ranker.AUTO;
      case "vector" -> SearchQuery.Ranker.VECTOR;
      case "keyword" -> SearchQuery.Ranker.KEYWORD;
      default -> throw ApiException.invalid("ranking_options.ranker",
          "'ranking_options.ranker' must be auto (vector and keyword results fused), vector or keyword.");
    };
  }

  /** {@code ranking_options.score_threshold}: 0 to 1, default 0. */
  public static double scoreThreshold(JsonNode node) {
    if (node == null || node.isNull()) {
      return 0;
    }
    if (!node.isNumber() || node.asDouble() < 0 || node.asDouble() > 1) {
      throw ApiException.invalid("ranking_options.score_threshold",
          "'ranking_options.score_threshold' must be a number from 0 to 1.");
    }
    return node.asDouble();
  }

  /** {@code POST /v1/vector_stores/:id/files}: a stored file attached, chunked and embedded. */
  public void attach(RoutingContext ctx) {
    JsonNode request = object(ctx.body().buffer());
    JsonNode fileId = request.get("file_id");
    if (fileId == null || !fileId.isTextual() || fileId.asText().isEmpty() || fileId.asText().length() > 128) {
      throw ApiException.invalid("file_id", "'file_id' must be the id of an uploaded file.");
    }
    int[] chunking = chunking(request.get("chunking_strategy"));
    respond(ctx, service.attach(ctx.pathParam("id"), fileId.asText(), attributes(request.get("attributes"),
        "attributes"), chunking[0], chunking[1]), VectorStoresApi::attachmentJson);
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

  /** A {@code vector_store.search_results.page}. */
  static ObjectNode searchPage(String query, List<Match> matches) {
    ObjectNode page = Json.object();
    page.put("object", "vector_store.search_results.page");
    page.putArray("search_query").add(query);
    ArrayNode data = page.putArray("data");
    for (Match match : matches) {
      ObjectNode item = data.addObject();
      item.put("file_id", match.documentId());
      item.put("filename", match.documentId());
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

  /** Parses OpenAI's comparison and compound filters, bounded in depth and size. */
  public static Filter filter(JsonNode node, String at, int depth, int[] terms) {
    if (!node.isObject()) {
      throw ApiException.invalid(at, "A filter must be an object.");
    }
    if (depth > MAX_FILTER_DEPTH || ++terms[0] > MAX_FILTER_TERMS) {
      throw ApiException.invalid(at, "Filters may nest " + MAX_FILTER_DEPTH + " deep and hold " + MAX_FILTER_TERMS
          + " terms at most.");
    }
    String type = node.path("type").asText("");
    switch (type) {
      case "and", "or" -> {
        JsonNode filters = node.get("filters");
        if (filters == null || !filters.isArray()) {
          throw ApiException.invalid(at + ".filters", "A compound filter needs a 'filters' array.");
        }
        List<Filter> parts = new ArrayList<>();
        for (int i = 0; i < filters.size(); i++) {
          parts.add(filter(filters.get(i), at + ".filters[" + i + "]", depth + 1, terms));
        }
        return new Filter.Compound(type.equals("and"), parts);
      }
      case "eq", "ne", "gt", "gte", "lt", "lte" -> {
        JsonNode key = node.get("key");
        if (key == null || !key.isTextual() || key.asText().isEmpty() || key.asText().length() > 64) {
          throw ApiException.invalid(at + ".key", "'key' must be a string of 1-64 characters.");
        }
        return new Filter.Comparison(Filter.Op.valueOf(type.toUpperCase(java.util.Locale.ROOT)), key.asText(),
            scalar(node.get("value"), at + ".value"));
      }
      default -> throw ApiException.invalid(at + ".type", "'type' must be eq, ne, gt, gte, lt, lte, and or or.");
    }
  }

  private static Object scalar(JsonNode value, String at) {
    if (value != null && value.isTextual() && value.asText().length() <= 512) {
      return value.asText();
    }
    if (value != null && value.isNumber()) {
      return value.asDouble();
    }
    if (value != null && value.isBoolean()) {
      return value.asBoolean();
    }
    throw ApiException.invalid(at, "A value must be a string (at most 512 characters), a number or a boolean.");
  }

  private static Map<String, Object> attributes(JsonNode node, String at) {
    Map<String, Object> attributes = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return attributes;
    }
    if (!node.isObject() || node.size() > MAX_ATTRIBUTES) {
      throw ApiException.invalid(at, "Attributes must be an object of at most " + MAX_ATTRIBUTES + " keys.");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (entry.getKey().length() > 64) {
        throw ApiException.invalid(at, "Attribute keys have at most 64 characters.");
      }
      attributes.put(entry.getKey(), scalar(entry.getValue(), at + "." + entry.getKey()));
    }
    return attributes;
  }

  private static Map<String, String> metadata(JsonNode node) {
    Map<String, String> metadata = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return metadata;
    }
    if (!node.isObject() || node.size() > 16) {
      throw ApiException.invalid("metadata", "'metadata' must be an object of at most 16 keys.");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (!entry.getValue().isTextual() || entry.getKey().length() > 64 || entry.getValue().asText().length() > 512) {
        throw ApiException.invalid("metadata." + entry.getKey(), "Metadata values are strings of at most 512 characters.");
      }
      metadata.put(entry.getKey(), entry.getValue().asText());
    }
    return metadata;
  }

  /** {@code chunking_strategy}: {@code auto} or {@code {type: static, static: {max_chunk_size_tokens, chunk_overlap_tokens}}}. */
  private int[] chunking(JsonNode node) {
    int size = config.chunkTokens();
    int overlap = config.overlapTokens();
    if (node != null && !node.isNull() && node.path("type").asText("auto").equals("static")) {
      JsonNode fixed = node.path("static");
      size = integer(fixed, "max_chunk_size_tokens", size, 100, 4096, "chunking_strategy.static.max_chunk_size_tokens");
      overlap = integer(fixed, "chunk_overlap_tokens", Math.min(overlap, size / 2), 0, size / 2,
          "chunking_strategy.static.chunk_overlap_tokens");
    }
    return new int[] {size, overlap};
  }

  private static int integer(JsonNode node, String field, int fallback, int min, int max) {
    return integer(node, field, fallback, min, max, field);
  }

  private static int integer(JsonNode node, String field, int fallback, int min, int max, String param) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isIntegralNumber() || value.asLong() < min || value.asLong() > max) {
      throw ApiException.invalid(param, "'" + field + "' must be a whole number from " + min + " to " + max + ".");
    }
    return value.asInt();
  }

  private static Optional<String> optionalText(JsonNode node, String field, int max) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual() || value.asText().length() > max) {
      throw ApiException.invalid(field, "'" + field + "' must be a string of at most " + max + " characters.");
    }
    return Optional.of(value.asText());
  }

  private static JsonNode object(Buffer body) {
    JsonNode node = body == null ? null : Json.parseOrNull(body);
    if (node == null || !node.isObject()) {
      throw ApiException.invalid(null, "The request body must be a JSON object.");
    }
    return node;
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
