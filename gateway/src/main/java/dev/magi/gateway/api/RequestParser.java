package dev.magi.gateway.api;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.Json;
import dev.magi.proxy.api.Operation;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.gateway.config.MagiConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Parses and checks request bodies for the OpenAI operations. It checks what Magi relies on and
 * what a client could abuse (types, required fields, bounds on every number that sizes work);
 * everything else passes to the backend untouched.
 *
 * <p>Each failure is a 400 {@link ApiException} naming the offending {@code param}.
 */
public final class RequestParser {

  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");
  private static final int MAX_MODEL_LENGTH = 256;
  private static final int MAX_STOP_SEQUENCES = 16;

  /** Jackson's bounds on numbers, keys and strings (its defaults); nesting is {@code limits.json_depth}. */
  private static final StreamReadConstraints PARSER_LIMITS = StreamReadConstraints.builder().build();

  /**
   * The top-level fields the checks read that are kept as sent (small by nature); {@code messages},
   * {@code tools}, {@code prompt} and {@code input}, which hold the bulk of a body, are read as
   * summaries of their shape only (see {@link #readFields}).
   */
  static final Set<String> CAPTURED = Set.of("model", "stream", "stream_options", "max_tokens",
      "max_completion_tokens", "n", "temperature", "top_p", "frequency_penalty", "presence_penalty", "seed", "stop",
      "logprobs", "top_logprobs", "best_of", "echo", "encoding_format", "dimensions", "retrieval");

  private final ObjectMapper mapper;
  /** Reads one value where a parser stands, with the rest of the document still to come. */
  private final ObjectReader values;
  private final MagiConfig.Limits limits;

  /** @param limits the bounds to enforce */
  public RequestParser(MagiConfig.Limits limits) {
    this.limits = limits;
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(limits.jsonDepth())
            .maxNumberLength(PARSER_LIMITS.getMaxNumberLength()).maxNameLength(PARSER_LIMITS.getMaxNameLength())
            .maxStringLength(PARSER_LIMITS.getMaxStringLength()).build())
        .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    this.mapper = new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    this.values = mapper.readerFor(JsonNode.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /**
   * Parses {@code raw} as a request for {@code operation}.
   *
   * @throws ApiException 400 when the body is not a JSON object or a field is wrong
   */
  public ApiRequest parse(Operation operation, Buffer raw) {
    ObjectNode whole = null;
    // llama-server's own operations are small and read whole: nothing in them is a conversation.
    ObjectNode body = operation.openAiCore() ? readFields(raw) : null;
    if (body == null) {
      whole = parseObject(raw);
      body = whole;
    }
    String model = requiredString(body, "model");
    if (model.length() > MAX_MODEL_LENGTH) {
      throw ApiException.invalid("model", "'model' must be at most " + MAX_MODEL_LENGTH + " characters.");
    }
    boolean stream = optionalBoolean(body, "stream", false);
    boolean includeUsage = false;
    JsonNode streamOptions = body.get("stream_options");
    if (streamOptions != null && !streamOptions.isNull()) {
      if (!streamOptions.isObject()) {
        throw typeError("stream_options", "an object", streamOptions);
      }
      includeUsage = optionalBoolean((ObjectNode) streamOptions, "include_usage", "stream_options.include_usage", false);
    }
    OptionalInt maxTokens = OptionalInt.empty();
    boolean base64 = false;
    switch (operation) {
      case CHAT -> {
        checkMessages(body);
        maxTokens = tokenLimit(body);
        checkSampling(body);
        checkArrayIfPresent(body, "tools");
        checkBooleanIfPresent(body, "logprobs");
        checkIntIfPresent(body, "top_logprobs", 0, 20);
      }
      case COMPLETION -> {
        checkPrompt(body);
        maxTokens = tokenLimit(body);
        checkSampling(body);
        checkIntIfPresent(body, "logprobs", 0, 5);
        checkIntIfPresent(body, "best_of", 1, limits.maxChoices());
        checkBooleanIfPresent(body, "echo");
      }
      case EMBEDDING -> {
        checkEmbeddingInput(body);
        base64 = checkEncodingFormat(body);
        checkIntIfPresent(body, "dimensions", 1, 65536);
      }
      case TOKENIZE -> {
        requiredString(body, "content");
        checkBooleanIfPresent(body, "add_special");
        checkBooleanIfPresent(body, "parse_special");
        checkBooleanIfPresent(body, "with_pieces");
      }
      case DETOKENIZE -> checkTokenIds(body);
      case RERANK -> {
        requiredString(body, "query");
        checkDocuments(body);
        checkIntIfPresent(body, "top_n", 1, MAX_RERANK_DOCUMENTS);
        checkBooleanIfPresent(body, "return_documents");
      }
      default -> throw new IllegalStateException("not parsed here: " + operation);
    }
    if (whole != null) {
      return new ApiRequest(operation, model, stream, includeUsage, base64, maxTokens, whole, raw);
    }
    body.remove(SUMMARIZED);
    return ApiRequest.ofFields(operation, model, stream, includeUsage, base64, maxTokens, body, CAPTURED, raw,
        this::wholeObject);
  }

  /** Most documents one rerank request may score. */
  public static final int MAX_RERANK_DOCUMENTS = 1000;

  /** {@code documents}: a non-empty array of strings (or of objects with a {@code text}), bounded. */
  private static void checkDocuments(ObjectNode body) {
    JsonNode documents = body.get("documents");
    if (!(documents instanceof ArrayNode list) || list.isEmpty() || list.size() > MAX_RERANK_DOCUMENTS) {
      throw ApiException.invalid("documents", "'documents' must be an array of 1 to " + MAX_RERANK_DOCUMENTS
          + " strings.");
    }
    for (JsonNode document : list) {
      if (!document.isTextual() && !document.path("text").isTextual()) {
        throw ApiException.invalid("documents", "'documents' must hold strings (or objects with a 'text').");
      }
    }
  }

  /** {@code tokens}: a non-empty array of token ids (non-negative integers). */
  private static void checkTokenIds(ObjectNode body) {
    JsonNode tokens = body.get("tokens");
    if (!(tokens instanceof ArrayNode ids) || ids.isEmpty()) {
      throw ApiException.invalid("tokens", "'tokens' must be a non-empty array of token ids.");
    }
    for (JsonNode id : ids) {
      if (!id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0) {
        throw ApiException.invalid("tokens", "'tokens' must hold token ids: integers of at least 0.");
      }
    }
  }

  /** The fields read as summaries of their shape, dropped before the request is made. */
  private static final List<String> SUMMARIZED = List.of("messages", "tools", "prompt", "input");

  /**
   * Reads a body as the checks need it, without building a tree of the whole: the {@link #CAPTURED}
   * fields as sent, and {@code messages}, {@code tools}, {@code prompt} and {@code input} as summaries
   * of their shape, in which each string is empty (the content of a conversation is never decoded
   * here). Every byte is still read by the same parser with the same limits and duplicate-key
   * detection, so what is refused, and why, is what a whole parse would refuse.
   *
   * @return the fields; null when the body is not a JSON object or is larger than the longest string
   *     the parser allows (it is then parsed whole, which reports such bodies precisely)
   * @throws ApiException 400 for a syntax error, a parser limit exceeded, or content after the object
   */
  private ObjectNode readFields(Buffer raw) {
    if (raw == null || raw.length() == 0 || raw.length() > PARSER_LIMITS.getMaxStringLength()) {
      return null;
    }
    try (JsonParser parser = createParser(raw)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      ObjectNode fields = mapper.getNodeFactory().objectNode();
      String name;
      while ((name = parser.nextFieldName()) != null) {
        JsonToken value = parser.nextToken();
        switch (name) {
          case "messages" -> fields.set(name, messagesShape(parser, value));
          case "tools" -> fields.set(name, value == JsonToken.START_ARRAY ? skipped(parser, Json.array()) : read(parser));
          case "prompt", "input" -> fields.set(name, itemsShape(parser, value));
          default -> {
            if (CAPTURED.contains(name)) {
              fields.set(name, read(parser));
            } else {
              parser.skipChildren();
            }
          }
        }
      }
      if (parser.nextToken() != null) {
        throw ApiException.invalid(null, "The request body is not valid JSON: there is more after the JSON value"
            + where(parser.currentTokenLocation()) + ".");
      }
      return fields;
    } catch (IOException e) {
      throw invalidJson(e);
    }
  }

  /** {@code messages} with each message's {@code role} as sent and its {@code content} as a shape. */
  private JsonNode messagesShape(JsonParser parser, JsonToken value) throws IOException {
    if (value != JsonToken.START_ARRAY) {
      return read(parser);
    }
    ArrayNode messages = Json.array();
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      if (parser.currentToken() != JsonToken.START_OBJECT) {
        messages.add(read(parser));
        continue;
      }
      ObjectNode message = messages.addObject();
      String field;
      while ((field = parser.nextFieldName()) != null) {
        JsonToken token = parser.nextToken();
        if (field.equals("role")) {
          message.set(field, read(parser));
        } else if (field.equals("content")) {
          message.set(field, shape(parser, token));
        } else {
          parser.skipChildren();
        }
      }
    }
    return messages;
  }

  /** {@code prompt} or {@code input}: a string or an array, with every string in it empty. */
  private JsonNode itemsShape(JsonParser parser, JsonToken value) throws IOException {
    if (value != JsonToken.START_ARRAY) {
      return shape(parser, value);
    }
    ArrayNode items = Json.array();
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      items.add(shape(parser, parser.currentToken()));
    }
    return items;
  }

  /** A string as an empty one, an array of anything as an empty array (skipped), else the value as sent. */
  private JsonNode shape(JsonParser parser, JsonToken token) throws IOException {
    if (token == JsonToken.VALUE_STRING) {
      return EMPTY_TEXT;
    }
    return token == JsonToken.START_ARRAY ? skipped(parser, Json.array()) : read(parser);
  }

  private static final JsonNode EMPTY_TEXT = com.fasterxml.jackson.databind.node.TextNode.valueOf("");

  private static JsonNode skipped(JsonParser parser, JsonNode stand) throws IOException {
    parser.skipChildren();
    return stand;
  }

  /**
   * The value where {@code parser} stands, as the tree a whole parse would give: scalars made here
   * (a reader would make a deserialization context for each), containers by the reader.
   */
  private JsonNode read(JsonParser parser) throws IOException {
    JsonNodeFactory nodes = mapper.getNodeFactory();
    return switch (parser.currentToken()) {
      case VALUE_STRING -> nodes.textNode(parser.getText());
      case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
        case INT -> nodes.numberNode(parser.getIntValue());
        case LONG -> nodes.numberNode(parser.getLongValue());
        default -> nodes.numberNode(parser.getBigIntegerValue());
      };
      case VALUE_NUMBER_FLOAT -> parser.getNumberType() == JsonParser.NumberType.BIG_DECIMAL
          ? nodes.numberNode(parser.getDecimalValue()) : nodes.numberNode(parser.getDoubleValue());
      case VALUE_TRUE -> nodes.booleanNode(true);
      case VALUE_FALSE -> nodes.booleanNode(false);
      case VALUE_NULL -> nodes.nullNode();
      default -> values.readTree(parser);
    };
  }

  /**
   * Parses a request body that must be one JSON object, within the parser's bounds (nesting, lengths).
   *
   * @throws ApiException 400 when the body is empty, not JSON, or not an object
   */
  public ObjectNode parseObject(Buffer raw) {
    if (raw == null || raw.length() == 0) {
      throw ApiException.invalid(null, "The request body is empty; send a JSON object.");
    }
    JsonNode node;
    try {
      node = readTree(raw);
    } catch (IOException e) {
      throw invalidJson(e);
    }
    if (node == null || !node.isObject()) {
      throw ApiException.invalid(null, "The request body must be a JSON object.");
    }
    return (ObjectNode) node;
  }

  /** The 400 for a body the parser refused, in a client's terms. */
  private ApiException invalidJson(IOException failure) {
    if (failure instanceof StreamConstraintsException e) {
      return ApiException.invalid(null, "The request body " + exceeded(e.getOriginalMessage()) + ".");
    }
    if (failure instanceof JsonProcessingException e) {
      return ApiException.invalid(null, "The request body is not valid JSON: " + problem(e.getOriginalMessage())
          + where(e.getLocation()) + ".");
    }
    return ApiException.invalid(null, "The request body could not be read as JSON.");
  }

  private static String where(JsonLocation location) {
    return location == null ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }

  /**
   * Which of the parser's bounds a body went past, in a client's terms (Jackson's own message names its
   * classes and settings).
   */
  private String exceeded(String jacksonMessage) {
    String message = String.valueOf(jacksonMessage);
    if (message.startsWith("Document nesting depth")) {
      return "is nested deeper than " + limits.jsonDepth() + " levels";
    }
    if (message.startsWith("Number value length") || message.startsWith("Number length")) {
      return "has a number longer than " + PARSER_LIMITS.getMaxNumberLength() + " digits";
    }
    if (message.startsWith("Name length")) {
      return "has an object key longer than " + PARSER_LIMITS.getMaxNameLength() + " characters";
    }
    if (message.startsWith("String value length") || message.startsWith("String length")) {
      return "has a string longer than " + PARSER_LIMITS.getMaxStringLength() + " characters";
    }
    return "is larger or deeper than the gateway accepts";
  }

  /**
   * A JSON syntax problem in a client's terms: Jackson's first line, unless it names Jackson's own
   * types or settings (quoted in backticks), which mean nothing to a client.
   */
  static String problem(String jacksonMessage) {
    String problem = String.valueOf(jacksonMessage);
    int noise = problem.indexOf(" (start marker");
    problem = (noise > 0 ? problem.substring(0, noise) : problem).lines().findFirst().orElse("");
    if (problem.startsWith("Trailing token")) {
      return "there is more after the JSON value";
    }
    if (problem.startsWith("Duplicate field")) {
      int quote = problem.indexOf('\'');
      return quote < 0 ? "a key appears twice" : "the key " + problem.substring(quote) + " appears twice";
    }
    if (problem.startsWith("Unexpected end-of-input")) {
      return "the body ends before the JSON value does";
    }
    if (problem.contains("`") || problem.contains("com.fasterxml") || problem.isBlank()) {
      return "unexpected content";
    }
    return problem.length() > 200 ? problem.substring(0, 200) + "..." : problem;
  }

  /** The whole body of a request whose bytes were checked, with the same parser. */
  private ObjectNode wholeObject(Buffer raw) throws IOException {
    JsonNode node = readTree(raw);
    if (!(node instanceof ObjectNode object)) {
      throw new IOException("not a JSON object");
    }
    return object;
  }

  private JsonNode readTree(Buffer raw) throws IOException {
    ByteBuf bytes = inArray(raw);
    return mapper.readTree(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
  }

  private JsonParser createParser(Buffer raw) throws IOException {
    ByteBuf bytes = inArray(raw);
    return mapper.getFactory().createParser(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(),
        bytes.readableBytes());
  }

  /** The body's bytes in place when it is backed by an array (as received bodies are), else a copy. */
  private static ByteBuf inArray(Buffer raw) {
    ByteBuf bytes = ((BufferInternal) raw).getByteBuf();
    return bytes.hasArray() ? bytes : Unpooled.wrappedBuffer(raw.getBytes());
  }

  private void checkMessages(ObjectNode body) {
    JsonNode messages = body.get("messages");
    if (messages == null || messages.isNull()) {
      throw ApiException.invalid("messages", "Missing required parameter: 'messages'.");
    }
    if (!messages.isArray()) {
      throw typeError("messages", "an array", messages);
    }
    if (messages.isEmpty()) {
      throw ApiException.invalid("messages", "'messages' must contain at least one message.");
    }
    for (int i = 0; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      if (!message.isObject()) {
        throw typeError("messages[" + i + "]", "an object", message);
      }
      JsonNode role = message.get("role");
      if (role == null || !role.isTextual()) {
        String at = "messages[" + i + "]";
        throw ApiException.invalid(at + ".role", "Missing or invalid '" + at + ".role': expected a string.");
      }
      if (!ROLES.contains(role.asText())) {
        String at = "messages[" + i + "]";
        throw ApiException.invalid(at + ".role", "Invalid value '" + role.asText() + "' for '" + at
            + ".role': expected one of system, developer, user, assistant, tool.");
      }
      JsonNode content = message.get("content");
      if (content != null && !content.isNull() && !content.isTextual() && !content.isArray()) {
        throw typeError("messages[" + i + "].content", "a string or an array of content parts", content);
      }
    }
  }

  private void checkPrompt(ObjectNode body) {
    JsonNode prompt = body.get("prompt");
    if (prompt == null || prompt.isNull()) {
      throw ApiException.invalid("prompt", "Missing required parameter: 'prompt'.");
    }
    if (prompt.isTextual()) {
      return;
    }
    if (!prompt.isArray() || prompt.isEmpty()) {
      throw ApiException.invalid("prompt",
          "'prompt' must be a string, an array of strings, an array of tokens or an array of token arrays.");
    }
    checkUniformArray("prompt", prompt, limits.embeddingInputs());
  }

  private void checkEmbeddingInput(ObjectNode body) {
    JsonNode input = body.get("input");
    if (input == null || input.isNull()) {
      throw ApiException.invalid("input", "Missing required parameter: 'input'.");
    }
    if (input.isTextual()) {
      return;
    }
    if (!input.isArray() || input.isEmpty()) {
      throw ApiException.invalid("input",
          "'input' must be a string, an array of strings, an array of tokens or an array of token arrays,"
              + " and not empty.");
    }
    checkUniformArray("input", input, limits.embeddingInputs());
  }

  /** An array of strings, of integers, or of integer arrays; at most {@code maxItems} items of text. */
  private static void checkUniformArray(String param, JsonNode array, int maxItems) {
    JsonNode first = array.get(0);
    if (first.isTextual() || first.isArray()) {
      if (array.size() > maxItems) {
        throw ApiException.invalid(param, "'" + param + "' may hold at most " + maxItems + " items, got "
            + array.size() + ".");
      }
    }
    for (int i = 0; i < array.size(); i++) {
      JsonNode item = array.get(i);
      boolean ok = first.isTextual() ? item.isTextual()
          : first.isIntegralNumber() ? item.isIntegralNumber()
          : first.isArray() && item.isArray() && allIntegers(item);
      if (!ok) {
        throw ApiException.invalid(param + "[" + i + "]", "'" + param
            + "' must be all strings, all tokens (integers) or all token arrays.");
      }
    }
  }

  private static boolean allIntegers(JsonNode array) {
    for (JsonNode item : array) {
      if (!item.isIntegralNumber()) {
        return false;
      }
    }
    return true;
  }

  private boolean checkEncodingFormat(ObjectNode body) {
    JsonNode format = body.get("encoding_format");
    if (format == null || format.isNull()) {
      return false;
    }
    if (!format.isTextual() || !(format.asText().equals("float") || format.asText().equals("base64"))) {
      throw ApiException.invalid("encoding_format", "'encoding_format' must be 'float' or 'base64'.");
    }
    return format.asText().equals("base64");
  }

  private OptionalInt tokenLimit(ObjectNode body) {
    checkIntIfPresent(body, "max_tokens", 1, limits.maxTokens());
    checkIntIfPresent(body, "max_completion_tokens", 1, limits.maxTokens());
    checkIntIfPresent(body, "n", 1, limits.maxChoices());
    for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
      JsonNode value = body.get(field);
      if (value != null && !value.isNull()) {
        return OptionalInt.of(value.asInt());
      }
    }
    return OptionalInt.empty();
  }

  private static void checkSampling(ObjectNode body) {
    checkNumberIfPresent(body, "temperature", 0, 2);
    checkNumberIfPresent(body, "top_p", 0, 1);
    checkNumberIfPresent(body, "frequency_penalty", -2, 2);
    checkNumberIfPresent(body, "presence_penalty", -2, 2);
    JsonNode seed = body.get("seed");
    if (seed != null && !seed.isNull() && !(seed.isIntegralNumber() && seed.canConvertToLong())) {
      throw typeError("seed", "an integer", seed);
    }
    JsonNode stop = body.get("stop");
    if (stop != null && !stop.isNull() && !stop.isTextual()) {
      if (!stop.isArray()) {
        throw typeError("stop", "a string or an array of strings", stop);
      }
      if (stop.size() > MAX_STOP_SEQUENCES) {
        throw ApiException.invalid("stop", "'stop' may hold at most " + MAX_STOP_SEQUENCES + " sequences.");
      }
      for (int i = 0; i < stop.size(); i++) {
        if (!stop.get(i).isTextual()) {
          throw typeError("stop[" + i + "]", "a string", stop.get(i));
        }
      }
    }
  }

  private static String requiredString(ObjectNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      throw ApiException.invalid(field, "Missing required parameter: '" + field + "'.");
    }
    if (!value.isTextual()) {
      throw typeError(field, "a string", value);
    }
    if (value.asText().isBlank()) {
      throw ApiException.invalid(field, "'" + field + "' must not be empty.");
    }
    return value.asText();
  }

  private static boolean optionalBoolean(ObjectNode body, String field, boolean fallback) {
    return optionalBoolean(body, field, field, fallback);
  }

  private static boolean optionalBoolean(ObjectNode body, String field, String param, boolean fallback) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isBoolean()) {
      throw typeError(param, "a boolean", value);
    }
    return value.asBoolean();
  }

  private static void checkBooleanIfPresent(ObjectNode body, String field) {
    optionalBoolean(body, field, false);
  }

  private static void checkArrayIfPresent(ObjectNode body, String field) {
    JsonNode value = body.get(field);
    if (value != null && !value.isNull() && !value.isArray()) {
      throw typeError(field, "an array", value);
    }
  }

  private static void checkIntIfPresent(ObjectNode body, String field, long min, long max) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return;
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw typeError(field, "an integer", value);
    }
    long number = value.asLong();
    if (number < min || number > max) {
      throw ApiException.invalid(field, "Invalid '" + field + "': " + number + " is out of range; expected "
          + min + " to " + max + ".");
    }
  }

  private static void checkNumberIfPresent(ObjectNode body, String field, double min, double max) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return;
    }
    if (!value.isNumber()) {
      throw typeError(field, "a number", value);
    }
    double number = value.asDouble();
    if (!(number >= min && number <= max)) {
      throw ApiException.invalid(field, "Invalid '" + field + "': " + value + " is out of range; expected "
          + min + " to " + max + ".");
    }
  }

  private static ApiException typeError(String param, String expected, JsonNode actual) {
    return ApiException.invalid(param, "Invalid type for '" + param + "': expected " + expected + ", but got "
        + describe(actual) + ".");
  }

  private static String describe(JsonNode node) {
    return switch (node.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NULL -> "null";
      default -> "something else";
    };
  }

  /** The mapper used for request bodies, configured with the same limits, for re-encoding. */
  public ObjectMapper mapper() {
    return mapper;
  }
}
