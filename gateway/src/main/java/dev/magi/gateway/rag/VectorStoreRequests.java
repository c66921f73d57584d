package dev.magi.gateway.rag;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.proxy.api.ApiException;
import dev.magi.retrieval.Filter;
import dev.magi.retrieval.RetrievalService;
import dev.magi.retrieval.SearchQuery;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The bodies of OpenAI's vector-store requests, as records ({@link RequestBinding} binds them, types
 * checked), and the checks of their values: each {@code valid…} method returns what the service takes
 * or throws a 400 {@link ApiException} naming the {@code param} at fault. Every size and number a
 * client sends is bounded here.
 */
public final class VectorStoreRequests {

  static final int MAX_DOCUMENTS = 1000;
  static final int MAX_FILE_IDS = 500;
  static final int MAX_ATTRIBUTES = 16;
  static final int MAX_METADATA = 16;
  static final int MAX_FILTER_DEPTH = 8;
  static final int MAX_FILTER_TERMS = 64;
  static final int MAX_QUERY_PARTS = 16;
  static final int MAX_QUERY_CHARS = 32_768;
  /** Most matches a search returns (OpenAI's bound). */
  public static final int MAX_RESULTS = 50;
  static final Pattern DOCUMENT_ID = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");

  private VectorStoreRequests() {
  }

  /**
   * A filter given in another request (a chat's {@code retrieval.filters}), as sent.
   *
   * @param at its path in that request
   * @throws ApiException 400 naming the {@code param} at fault
   */
  public static Optional<Filter> filter(com.fasterxml.jackson.databind.JsonNode filters, String at) {
    return FilterBody.valid(RequestBinding.bind(filters, FilterBody.class, at), at);
  }

  /**
   * The search a Responses request's {@code file_search} tool asks for, with the tool's own
   * {@code filters} and {@code ranking_options} as sent (null when absent).
   *
   * @throws ApiException 400 naming the {@code param} at fault
   */
  public static RetrievalService.SearchRequest fileSearch(String text, int limit,
      com.fasterxml.jackson.databind.JsonNode filters, com.fasterxml.jackson.databind.JsonNode rankingOptions) {
    FilterBody filter = filters == null ? null : RequestBinding.bind(filters, FilterBody.class, "tools.filters");
    RankingOptions ranking = rankingOptions == null ? null
        : RequestBinding.bind(rankingOptions, RankingOptions.class, "tools.ranking_options");
    return new RetrievalService.SearchRequest(text, limit, FilterBody.valid(filter, "tools.filters"),
        RankingOptions.ranker(ranking), RankingOptions.threshold(ranking), RankingOptions.weights(ranking));
  }

  /** {@code POST /v1/vector_stores}. */
  record CreateStore(String name, @JsonProperty("embedding_model") String embeddingModel,
      @JsonProperty("file_ids") List<String> fileIds, @JsonProperty("chunking_strategy") Chunking chunkingStrategy,
      Map<String, String> metadata) {

    String validName() {
      return text(name, "name", 256).orElse("");
    }

    Optional<String> validModel() {
      return text(embeddingModel, "embedding_model", 256);
    }

    List<String> validFileIds() {
      if (fileIds == null) {
        return List.of();
      }
      if (fileIds.size() > MAX_FILE_IDS) {
        throw ApiException.invalid("file_ids", "'file_ids' must be an array of at most " + MAX_FILE_IDS
            + " file ids.");
      }
      for (int i = 0; i < fileIds.size(); i++) {
        fileId(fileIds.get(i), "file_ids[" + i + "]");
      }
      return fileIds;
    }

    Map<String, String> validMetadata() {
      if (metadata == null) {
        return Map.of();
      }
      if (metadata.size() > MAX_METADATA) {
        throw ApiException.invalid("metadata", "'metadata' must be an object of at most " + MAX_METADATA + " keys.");
      }
      metadata.forEach((key, value) -> {
        if (value == null || key.length() > 64 || value.length() > 512) {
          throw ApiException.invalid("metadata." + key, "Metadata keys have at most 64 characters, and values are"
              + " strings of at most 512.");
        }
      });
      return metadata;
    }
  }

  /** {@code POST /v1/vector_stores/:id/documents}: Magi's way to add texts without files. */
  record AddDocuments(List<DocumentBody> documents, @JsonProperty("chunking_strategy") Chunking chunkingStrategy) {

    List<RetrievalService.Document> validDocuments(long maxChars) {
      if (documents == null || documents.isEmpty()) {
        throw ApiException.invalid("documents", "'documents' must be a non-empty array of {id?, text, attributes?}.");
      }
      if (documents.size() > MAX_DOCUMENTS) {
        throw ApiException.invalid("documents", "At most " + MAX_DOCUMENTS + " documents per request.");
      }
      List<RetrievalService.Document> valid = new ArrayList<>(documents.size());
      for (int i = 0; i < documents.size(); i++) {
        String at = "documents[" + i + "]";
        DocumentBody document = documents.get(i);
        if (document == null) {
          throw ApiException.invalid(at, "Each document must be an object.");
        }
        if (document.text() == null || document.text().isBlank()) {
          throw ApiException.invalid(at + ".text", "'text' must be a non-empty string.");
        }
        if (document.text().length() > maxChars) {
          throw ApiException.invalid(at + ".text", "A document may hold at most " + maxChars + " characters.");
        }
        if (document.id() != null && !DOCUMENT_ID.matcher(document.id()).matches()) {
          throw ApiException.invalid(at + ".id", "'id' must be 1-128 characters of letters, digits and _.:-");
        }
        valid.add(new RetrievalService.Document(Optional.ofNullable(document.id()), document.text(),
            attributes(document.attributes(), at + ".attributes")));
      }
      return valid;
    }
  }

  /** One of {@link AddDocuments#documents}. */
  record DocumentBody(String id, String text, Map<String, Object> attributes) {
  }

  /** {@code POST /v1/vector_stores/:id/files}. */
  record AttachFile(@JsonProperty("file_id") String fileId, Map<String, Object> attributes,
      @JsonProperty("chunking_strategy") Chunking chunkingStrategy) {

    String validFileId() {
      return VectorStoreRequests.fileId(fileId, "file_id");
    }

    Map<String, Object> validAttributes() {
      return VectorStoreRequests.attributes(attributes, "attributes");
    }
  }

  /**
   * {@code chunking_strategy}: {@code {type: auto}} or {@code {type: static, static:
   * {max_chunk_size_tokens, chunk_overlap_tokens}}}.
   */
  record Chunking(String type, @JsonProperty("static") Fixed fixed) {

    /** Sizes in tokens: how long a chunk is, and how much two neighbours share. */
    record Sizes(int tokens, int overlap) {
    }

    /** The {@code static} sizes. */
    record Fixed(@JsonProperty("max_chunk_size_tokens") Number maxChunkSizeTokens,
        @JsonProperty("chunk_overlap_tokens") Number chunkOverlapTokens) {
    }

    /** The sizes {@code chunking} asks for; the configured ones when it is absent or {@code auto}. */
    static Sizes valid(Chunking chunking, MagiConfig.Retrieval config) {
      int size = config.chunkTokens();
      int overlap = config.overlapTokens();
      if (chunking == null || chunking.type() == null || chunking.type().equals("auto")) {
        return new Sizes(size, overlap);
      }
      if (!chunking.type().equals("static")) {
        throw ApiException.invalid("chunking_strategy.type", "'type' must be auto or static.");
      }
      Fixed fixed = chunking.fixed() == null ? new Fixed(null, null) : chunking.fixed();
      size = between(fixed.maxChunkSizeTokens(), size, 100, 4096, "chunking_strategy.static.max_chunk_size_tokens");
      overlap = between(fixed.chunkOverlapTokens(), Math.min(overlap, size / 2), 0, size / 2,
          "chunking_strategy.static.chunk_overlap_tokens");
      return new Sizes(size, overlap);
    }
  }

  /**
   * {@code POST /v1/vector_stores/:id/search}; the {@code file_search} tool of the Responses API takes
   * the same {@code filters} and {@code ranking_options}.
   *
   * @param query a string, or an array of up to {@link #MAX_QUERY_PARTS} strings (joined by new lines)
   */
  record Search(Object query, @JsonProperty("max_num_results") Number maxNumResults, FilterBody filters,
      @JsonProperty("ranking_options") RankingOptions rankingOptions) {

    String validQuery() {
      String text;
      if (query instanceof String single && !single.isBlank()) {
        text = single;
      } else if (query instanceof List<?> parts && !parts.isEmpty() && parts.size() <= MAX_QUERY_PARTS
          && parts.stream().allMatch(part -> part instanceof String)) {
        text = String.join("\n", parts.stream().map(String.class::cast).toList());
      } else {
        throw ApiException.invalid("query", "'query' must be a non-empty string (or up to " + MAX_QUERY_PARTS
            + " strings).");
      }
      if (text.length() > MAX_QUERY_CHARS) {
        throw ApiException.invalid("query", "'query' may hold at most " + MAX_QUERY_CHARS + " characters.");
      }
      return text;
    }

    RetrievalService.SearchRequest valid() {
      return new RetrievalService.SearchRequest(validQuery(),
          between(maxNumResults, 10, 1, MAX_RESULTS, "max_num_results"), FilterBody.valid(filters, "filters"),
          RankingOptions.ranker(rankingOptions), RankingOptions.threshold(rankingOptions),
          RankingOptions.weights(rankingOptions));
    }
  }

  /**
   * {@code ranking_options}: {@code ranker} ({@code auto}, the default, and OpenAI's dated names fuse
   * vector and keyword rankings; {@code vector} and {@code keyword} use one), {@code score_threshold}
   * (0 to 1) and {@code hybrid_search} ({@code embedding_weight}, {@code text_weight}: how much each
   * ranking counts in the fused one, 1 each by default).
   */
  record RankingOptions(String ranker, @JsonProperty("score_threshold") Double scoreThreshold,
      @JsonProperty("hybrid_search") HybridSearch hybridSearch) {

    /** {@code hybrid_search}. */
    record HybridSearch(@JsonProperty("embedding_weight") Double embeddingWeight,
        @JsonProperty("text_weight") Double textWeight) {
    }

    static SearchQuery.Ranker ranker(RankingOptions options) {
      if (options == null || options.ranker() == null) {
        return SearchQuery.Ranker.AUTO;
      }
      return switch (options.ranker()) {
        case "auto", "default-2024-11-15", "default_2024_08_21", "default-2024-08-21" -> SearchQuery.Ranker.AUTO;
        case "vector" -> SearchQuery.Ranker.VECTOR;
        case "keyword" -> SearchQuery.Ranker.KEYWORD;
        default -> throw ApiException.invalid("ranking_options.ranker",
            "'ranking_options.ranker' must be auto (vector and keyword results fused), vector or keyword.");
      };
    }

    static double threshold(RankingOptions options) {
      if (options == null || options.scoreThreshold() == null) {
        return 0;
      }
      if (!(options.scoreThreshold() >= 0 && options.scoreThreshold() <= 1)) {
        throw ApiException.invalid("ranking_options.score_threshold",
            "'ranking_options.score_threshold' must be a number from 0 to 1.");
      }
      return options.scoreThreshold();
    }

    static SearchQuery.Weights weights(RankingOptions options) {
      if (options == null || options.hybridSearch() == null) {
        return SearchQuery.Weights.EQUAL;
      }
      HybridSearch hybrid = options.hybridSearch();
      double vector = weight(hybrid.embeddingWeight(), "ranking_options.hybrid_search.embedding_weight");
      double text = weight(hybrid.textWeight(), "ranking_options.hybrid_search.text_weight");
      if (vector + text == 0) {
        throw ApiException.invalid("ranking_options.hybrid_search", "One of the weights must be above 0.");
      }
      return new SearchQuery.Weights(vector, text);
    }

    private static double weight(Double value, String param) {
      if (value == null) {
        return 1;
      }
      if (!(value >= 0 && value <= 1000)) {
        throw ApiException.invalid(param, "'" + param + "' must be a number from 0 to 1000.");
      }
      return value;
    }
  }

  /**
   * OpenAI's filters: a comparison ({@code type} eq, ne, gt, gte, lt or lte, {@code key}, {@code value})
   * or a compound ({@code type} and or or, {@code filters}), nested {@link #MAX_FILTER_DEPTH} deep and
   * {@link #MAX_FILTER_TERMS} terms in all at most.
   */
  record FilterBody(String type, String key, Object value, List<FilterBody> filters) {

    static Optional<Filter> valid(FilterBody filter, String at) {
      return filter == null ? Optional.empty() : Optional.of(filter.valid(at, 0, new int[1]));
    }

    private Filter valid(String at, int depth, int[] terms) {
      if (depth > MAX_FILTER_DEPTH || ++terms[0] > MAX_FILTER_TERMS) {
        throw ApiException.invalid(at, "Filters may nest " + MAX_FILTER_DEPTH + " deep and hold " + MAX_FILTER_TERMS
            + " terms at most.");
      }
      String kind = type == null ? "" : type;
      switch (kind) {
        case "and", "or" -> {
          if (filters == null) {
            throw ApiException.invalid(at + ".filters", "A compound filter needs a 'filters' array.");
          }
          List<Filter> parts = new ArrayList<>();
          for (int i = 0; i < filters.size(); i++) {
            String part = at + ".filters[" + i + "]";
            if (filters.get(i) == null) {
              throw ApiException.invalid(part, "A filter must be an object.");
            }
            parts.add(filters.get(i).valid(part, depth + 1, terms));
          }
          return new Filter.Compound(kind.equals("and"), parts);
        }
        case "eq", "ne", "gt", "gte", "lt", "lte" -> {
          if (key == null || key.isEmpty() || key.length() > 64) {
            throw ApiException.invalid(at + ".key", "'key' must be a string of 1-64 characters.");
          }
          return new Filter.Comparison(Filter.Op.valueOf(kind.toUpperCase(Locale.ROOT)), key,
              scalar(value, at + ".value"));
        }
        default -> throw ApiException.invalid(at + ".type", "'type' must be eq, ne, gt, gte, lt, lte, and or or.");
      }
    }
  }

  /** A filter's or an attribute's value: a string of at most 512 characters, a number or a boolean. */
  static Object scalar(Object value, String at) {
    if (value instanceof String text && text.length() <= 512) {
      return text;
    }
    if (value instanceof Number number) {
      return number.doubleValue();
    }
    if (value instanceof Boolean) {
      return value;
    }
    throw ApiException.invalid(at, "A value must be a string (at most 512 characters), a number or a boolean.");
  }

  static Map<String, Object> attributes(Map<String, Object> given, String at) {
    Map<String, Object> attributes = new LinkedHashMap<>();
    if (given == null) {
      return attributes;
    }
    if (given.size() > MAX_ATTRIBUTES) {
      throw ApiException.invalid(at, "Attributes must be an object of at most " + MAX_ATTRIBUTES + " keys.");
    }
    given.forEach((key, value) -> {
      if (key.length() > 64) {
        throw ApiException.invalid(at, "Attribute keys have at most 64 characters.");
      }
      attributes.put(key, scalar(value, at + "." + key));
    });
    return attributes;
  }

  private static String fileId(String id, String at) {
    if (id == null || id.isEmpty() || id.length() > 128) {
      throw ApiException.invalid(at, "'" + at + "' must be the id of an uploaded file.");
    }
    return id;
  }

  private static Optional<String> text(String value, String param, int max) {
    if (value != null && value.length() > max) {
      throw ApiException.invalid(param, "'" + param + "' must be a string of at most " + max + " characters.");
    }
    return Optional.ofNullable(value);
  }

  /**
   * A whole number from {@code min} to {@code max}; {@code fallback} when absent. Bound as a
   * {@link Number}, so that a number too large for an int is refused here, naming its param.
   */
  private static int between(Number value, int fallback, int min, int max, String param) {
    if (value == null) {
      return fallback;
    }
    boolean whole = value instanceof Integer || value instanceof Long || value instanceof java.math.BigInteger;
    if (!whole || value.doubleValue() < min || value.doubleValue() > max) {
      throw ApiException.invalid(param, "'" + param + "' must be a whole number from " + min + " to " + max + ".");
    }
    return value.intValue();
  }
}
