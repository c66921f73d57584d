package dev.magi.gateway.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns requests of Ollama's own API ({@code /api/chat}, {@code /api/generate}, {@code /api/embed},
 * {@code /api/embeddings}) into the OpenAI requests Magi routes: pure functions. Errors are
 * {@link ApiException}s, which the Ollama face writes as {@code {"error":"..."}}.
 *
 * <p>Chat and generate always ask the backend for a stream with its usage chunk; the face answers
 * in NDJSON lines (Ollama's default) or one object ({@code "stream": false}).
 */
public final class OllamaApiRequests {

  private OllamaApiRequests() {
  }

  /** What a translated request is for: the face answers each in its own shape. */
  public enum Kind {
    /** {@code /api/chat}: lines with {@code message}. */
    CHAT,
    /** {@code /api/generate}: lines with {@code response}. */
    GENERATE,
    /** {@code /api/embed}: {@code embeddings}, a list of vectors. */
    EMBED,
    /** {@code /api/embeddings}, the legacy one: {@code embedding}, one vector. */
    EMBEDDINGS
  }

  /**
   * A translated request.
   *
   * @param openAi the OpenAI request (a chat, or embeddings)
   * @param model the model as the client named it, which its answer repeats
   * @param kind what it is for
   * @param stream whether the client gets NDJSON lines (chat and generate only)
   */
  public record Translated(ObjectNode openAi, String model, Kind kind, boolean stream) {
  }

  /** {@code POST /api/chat}. */
  public static Translated chat(JsonNode body) {
    ObjectNode request = object(body);
    String model = model(request);
    ObjectNode chat = Json.object().put("model", model);
    ArrayNode messages = chat.putArray("messages");
    JsonNode given = request.get("messages");
    if (given != null && !given.isNull() && !(given instanceof ArrayNode)) {
      throw ApiException.invalid("messages", "messages must be an array");
    }
    List<String> pendingCalls = new ArrayList<>();
    if (given instanceof ArrayNode list) {
      for (int i = 0; i < list.size(); i++) {
        message(list.get(i), i, messages, pendingCalls);
      }
    }
    if (messages.isEmpty()) {
      throw ApiException.invalid("messages", "messages must not be empty");
    }
    JsonNode tools = request.get("tools");
    if (tools != null && !tools.isNull()) {
      if (!(tools instanceof ArrayNode)) {
        throw ApiException.invalid("tools", "tools must be an array");
      }
      chat.set("tools", tools);
    }
    return new Translated(generation(request, chat), model, Kind.CHAT, stream(request));
  }

  /** {@code POST /api/generate}: {@code system} and {@code prompt} as a chat, templated by the backend. */
  public static Translated generate(JsonNode body) {
    ObjectNode request = object(body);
    String model = model(request);
    for (String unsupported : new String[] {"suffix", "template"}) {
      if (request.hasNonNull(unsupported) && !request.get(unsupported).asText().isEmpty()) {
        throw ApiException.invalid(unsupported, unsupported + " is not supported: Magi applies the model's own"
            + " chat template");
      }
    }
    if (request.path("raw").asBoolean(false)) {
      throw ApiException.invalid("raw", "raw prompts are not supported: Magi applies the model's own chat template");
    }
    ObjectNode chat = Json.object().put("model", model);
    ArrayNode messages = chat.putArray("messages");
    String system = request.path("system").asText("");
    if (!system.isEmpty()) {
      messages.addObject().put("role", "system").put("content", system);
    }
    ObjectNode user = messages.addObject().put("role", "user");
    content(user, request.path("prompt").asText(""), request.get("images"));
    return new Translated(generation(request, chat), model, Kind.GENERATE, stream(request));
  }

  /**
   * Whether a generate request only asks for its model to be loaded (an empty prompt, as Ollama's
   * clients send to preload): it is answered at once with {@code done_reason: "load"}.
   */
  public static boolean onlyLoads(JsonNode body) {
    return body != null && body.path("prompt").asText("").isEmpty() && !body.path("images").isArray();
  }

  /** {@code POST /api/embed} ({@code input}) or, legacy, {@code /api/embeddings} ({@code prompt}). */
  public static Translated embed(JsonNode body, boolean legacy) {
    ObjectNode request = object(body);
    String model = model(request);
    ObjectNode embeddings = Json.object().put("model", model);
    JsonNode input = legacy ? request.get("prompt") : request.get("input");
    if (input == null || !(input.isTextual() || input.isArray())) {
      throw ApiException.invalid(legacy ? "prompt" : "input", (legacy ? "prompt" : "input")
          + " must be a string" + (legacy ? "" : " or an array of strings"));
    }
    embeddings.set("input", input);
    JsonNode dimensions = request.get("dimensions");
    if (dimensions != null && !dimensions.isNull()) {
      embeddings.set("dimensions", dimensions);
    }
    return new Translated(embeddings, model, legacy ? Kind.EMBEDDINGS : Kind.EMBED, false);
  }

  /** Longest {@code keep_alive} taken as it is; longer ones are this. */
  static final java.time.Duration MAX_KEEP_ALIVE = java.time.Duration.ofDays(30);

  private static final java.util.regex.Pattern DURATION_PART =
      java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  /**
   * The request's {@code keep_alive}: a number of seconds, or a duration as Ollama writes them
   * ({@code "10m"}, {@code "1h30m"}, {@code "0"}); negative keeps the model; at most
   * {@link #MAX_KEEP_ALIVE}. Empty when the request gives none.
   *
   * @throws ApiException 400 for anything else
   */
  public static java.util.Optional<java.time.Duration> keepAlive(JsonNode body) {
    JsonNode value = body == null ? null : body.get("keep_alive");
    if (value == null || value.isNull() || (value.isTextual() && value.asText().isBlank())) {
      return java.util.Optional.empty();
    }
    java.time.Duration duration;
    if (value.isNumber()) {
      duration = java.time.Duration.ofMillis((long) (Math.max(-1e9, Math.min(1e9, value.asDouble())) * 1000));
    } else if (value.isTextual()) {
      duration = goDuration(value.asText().trim());
    } else {
      throw ApiException.invalid("keep_alive", "keep_alive must be a duration (\"5m\") or a number of seconds");
    }
    if (duration.compareTo(MAX_KEEP_ALIVE) > 0) {
      duration = MAX_KEEP_ALIVE;
    }
    return java.util.Optional.of(duration);
  }

  /** A duration as Go writes them ({@code 1h30m}, {@code -5m}, {@code 300ms}); a bare number is seconds. */
  private static java.time.Duration goDuration(String text) {
    boolean negative = text.startsWith("-");
    String rest = negative ? text.substring(1) : text;
    if (rest.matches("\\d+(\\.\\d+)?")) {
      double seconds = Math.min(1e9, Double.parseDouble(rest));
      java.time.Duration plain = java.time.Duration.ofMillis((long) (seconds * 1000));
      return negative ? plain.negated() : plain;
    }
    java.util.regex.Matcher parts = DURATION_PART.matcher(rest);
    double nanos = 0;
    int end = 0;
    while (parts.find() && parts.start() == end && rest.length() <= 64) {
      double amount = Double.parseDouble(parts.group(1));
      nanos += amount * switch (parts.group(2)) {
        case "ns" -> 1d;
        case "us", "µs" -> 1e3;
        case "ms" -> 1e6;
        case "s" -> 1e9;
        case "m" -> 60e9;
        default -> 3600e9;
      };
      end = parts.end();
    }
    if (end == 0 || end != rest.length()) {
      throw ApiException.invalid("keep_alive", "keep_alive must be a duration (\"5m\", \"1h30m\") or a number of"
          + " seconds, not '" + text + "'");
    }
    java.time.Duration parsed = java.time.Duration.ofNanos((long) Math.min(nanos, Long.MAX_VALUE / 2.0));
    return negative ? parsed.negated() : parsed;
  }

  /** Options, {@code format}, streaming with usage: what chat and generate share. */
  private static ObjectNode generation(ObjectNode request, ObjectNode chat) {
    JsonNode options = request.get("options");
    if (options != null && !options.isNull()) {
      if (!options.isObject()) {
        throw ApiException.invalid("options", "options must be an object");
      }
      options(options, chat);
    }
    JsonNode format = request.get("format");
    if (format != null && !format.isNull() && !(format.isTextual() && format.asText().isEmpty())) {
      if (format.isTextual() && format.asText().equals("json")) {
        chat.putObject("response_format").put("type", "json_object");
      } else if (format.isObject()) {
        ObjectNode schema = chat.putObject("response_format").put("type", "json_schema").putObject("json_schema");
        schema.put("name", "format");
        schema.set("schema", format);
      } else {
        throw ApiException.invalid("format", "format must be \"json\" or a JSON schema object");
      }
    }
    chat.put("stream", true);
    chat.putObject("stream_options").put("include_usage", true);
    return chat;
  }

  /** Ollama's {@code options} as the chat's fields; those that shape the server itself (num_ctx, num_gpu, ...) are not per request here. */
  private static void options(JsonNode options, ObjectNode chat) {
    copy(options, "temperature", chat, "temperature");
    copy(options, "top_p", chat, "top_p");
    copy(options, "top_k", chat, "top_k");
    copy(options, "min_p", chat, "min_p");
    copy(options, "typical_p", chat, "typical_p");
    copy(options, "seed", chat, "seed");
    copy(options, "presence_penalty", chat, "presence_penalty");
    copy(options, "frequency_penalty", chat, "frequency_penalty");
    copy(options, "repeat_penalty", chat, "repeat_penalty");
    copy(options, "repeat_last_n", chat, "repeat_last_n");
    JsonNode predict = options.get("num_predict");
    if (predict != null && predict.canConvertToInt() && predict.asInt() > 0) {
      chat.put("max_tokens", predict.asInt());
    }
    JsonNode stop = options.get("stop");
    if (stop != null && !stop.isNull()) {
      if (!stop.isArray() && !stop.isTextual()) {
        throw ApiException.invalid("options.stop", "options.stop must be an array of strings");
      }
      chat.set("stop", stop);
    }
  }

  private static void copy(JsonNode from, String name, ObjectNode to, String as) {
    JsonNode value = from.get(name);
    if (value == null || value.isNull()) {
      return;
    }
    if (!value.isNumber()) {
      throw ApiException.invalid("options." + name, "options." + name + " must be a number");
    }
    to.set(as, value);
  }

  /**
   * One Ollama message as a chat message. Tool calls get ids when they have none ({@code call_<m>_<n>}),
   * and a tool result without {@code tool_call_id} takes the id of the first call not yet answered.
   */
  private static void message(JsonNode given, int index, ArrayNode messages, List<String> pendingCalls) {
    if (!(given instanceof ObjectNode message)) {
      throw ApiException.invalid("messages", "messages[" + index + "] must be an object");
    }
    String role = message.path("role").asText("");
    ObjectNode out = messages.addObject();
    switch (role) {
      case "system", "user" -> {
        out.put("role", role);
        content(out, message.path("content").asText(""), message.get("images"));
      }
      case "assistant" -> {
        out.put("role", role).put("content", message.path("content").asText(""));
        JsonNode calls = message.get("tool_calls");
        if (calls instanceof ArrayNode list && !list.isEmpty()) {
          ArrayNode toolCalls = out.putArray("tool_calls");
          pendingCalls.clear();
          for (int i = 0; i < list.size(); i++) {
            JsonNode function = list.get(i).path("function");
            String id = list.get(i).path("id").asText("");
            id = id.isEmpty() ? "call_" + index + "_" + i : id;
            pendingCalls.add(id);
            JsonNode arguments = function.get("arguments");
            ObjectNode call = toolCalls.addObject().put("id", id).put("type", "function");
            call.putObject("function").put("name", function.path("name").asText(""))
                .put("arguments", arguments == null || arguments.isNull() ? "{}"
                    : arguments.isTextual() ? arguments.asText() : Json.string(arguments));
          }
        }
      }
      case "tool" -> {
        String id = message.path("tool_call_id").asText("");
        if (id.isEmpty()) {
          id = pendingCalls.isEmpty() ? "call_" + index : pendingCalls.remove(0);
        } else {
          pendingCalls.remove(id);
        }
        out.put("role", "tool").put("tool_call_id", id).put("content", message.path("content").asText(""));
      }
      default -> throw ApiException.invalid("messages", "messages[" + index + "].role must be system, user,"
          + " assistant or tool");
    }
  }

  /** Text, with Ollama's raw base64 images as data URLs (their type read from their first bytes). */
  private static void content(ObjectNode message, String text, JsonNode images) {
    if (!(images instanceof ArrayNode list) || list.isEmpty()) {
      message.put("content", text);
      return;
    }
    ArrayNode parts = message.putArray("content");
    for (JsonNode image : list) {
      if (!image.isTextual()) {
        throw ApiException.invalid("images", "images must be base64 strings");
      }
      parts.addObject().put("type", "image_url").putObject("image_url")
          .put("url", "data:" + mediaType(image.asText()) + ";base64," + image.asText());
    }
    if (!text.isEmpty()) {
      parts.addObject().put("type", "text").put("text", text);
    }
  }

  private static String mediaType(String base64) {
    if (base64.startsWith("/9j/")) {
      return "image/jpeg";
    }
    if (base64.startsWith("R0lG")) {
      return "image/gif";
    }
    if (base64.startsWith("UklG")) {
      return "image/webp";
    }
    return "image/png";
  }

  private static boolean stream(ObjectNode request) {
    JsonNode stream = request.get("stream");
    return stream == null || stream.isNull() || stream.asBoolean(true);
  }

  private static ObjectNode object(JsonNode body) {
    if (!(body instanceof ObjectNode request)) {
      throw ApiException.invalid(null, "the request body must be a JSON object");
    }
    return request;
  }

  private static String model(ObjectNode request) {
    String model = request.path("model").asText("");
    if (model.isEmpty()) {
      throw ApiException.invalid("model", "model is required");
    }
    return model;
  }
}
