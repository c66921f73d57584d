package dev.magi.gateway.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an Anthropic Messages request into the OpenAI chat request Magi routes: a pure function, with
 * errors in the terms of Anthropic's fields. What it cannot carry to a local model (server tools,
 * documents, images by URL) is refused with a 400 that says so, never dropped in silence.
 *
 * <p>The chat request always asks the backend for a stream with its usage chunk: the face builds its
 * answer (a stream or one message) from the stream's events, and applies {@code stop_sequences} itself,
 * since no backend says which stop sequence ended its answer.
 */
public final class AnthropicRequests {

  /** Most stop sequences a request may give. */
  public static final int MAX_STOP_SEQUENCES = 16;
  /** Longest stop sequence, in characters: the answer's last characters are held back while they may begin one. */
  public static final int MAX_STOP_LENGTH = 256;

  private AnthropicRequests() {
  }

  /**
   * A translated request.
   *
   * @param chat the OpenAI chat request, streamed, with {@code stream_options.include_usage}
   * @param model the {@code model} the client asked for, which its answer names
   * @param stream whether the client asked for a stream
   * @param stopSequences the client's stop sequences, applied by the face
   */
  public record Translated(ObjectNode chat, String model, boolean stream, List<String> stopSequences) {
  }

  /**
   * Translates {@code body}.
   *
   * @throws ApiException 400 {@code invalid_request_error} when the request is not a valid Messages
   *     request, or asks for something Magi cannot give a local model
   */
  public static Translated toChat(JsonNode body) {
    return translate(body, true);
  }

  /**
   * Checks a {@code count_tokens} request (a Messages request without {@code max_tokens}), which
   * llama-server then counts as it is.
   *
   * @return the model it names
   * @throws ApiException 400 as {@link #toChat} would
   */
  public static String checkCountTokens(JsonNode body) {
    return translate(body, false).model();
  }

  private static Translated translate(JsonNode body, boolean needsMaxTokens) {
    if (!(body instanceof ObjectNode request)) {
      throw invalid(null, "The request body must be a JSON object.");
    }
    String model = requiredString(request, "model");
    JsonNode maxTokens = request.get("max_tokens");
    if (needsMaxTokens && (maxTokens == null || maxTokens.isNull())) {
      throw invalid("max_tokens", "max_tokens: Field required.");
    }
    if (maxTokens != null && !maxTokens.isNull()
        && (!maxTokens.canConvertToLong() || !maxTokens.isIntegralNumber() || maxTokens.asLong() < 1)) {
      throw invalid("max_tokens", "max_tokens: must be an integer of at least 1.");
    }
    boolean stream = optionalBoolean(request, "stream");
    ObjectNode chat = Json.object();
    chat.put("model", model);
    ArrayNode messages = chat.putArray("messages");
    system(request.get("system"), messages);
    JsonNode given = request.get("messages");
    if (!(given instanceof ArrayNode list) || list.isEmpty()) {
      throw invalid("messages", "messages: must be a non-empty array.");
    }
    for (int i = 0; i < list.size(); i++) {
      message(list.get(i), "messages." + i, messages);
    }
    if (maxTokens != null && !maxTokens.isNull()) {
      chat.set("max_tokens", maxTokens);
    }
    copyNumber(request, "temperature", chat);
    copyNumber(request, "top_p", chat);
    copyNumber(request, "top_k", chat);
    List<String> stops = stopSequences(request.get("stop_sequences"));
    tools(request, chat);
    JsonNode userId = request.path("metadata").get("user_id");
    if (userId != null && userId.isTextual()) {
      chat.put("user", userId.asText());
    }
    chat.put("stream", true);
    chat.putObject("stream_options").put("include_usage", true);
    return new Translated(chat, model, stream, stops);
  }

  private static void system(JsonNode system, ArrayNode messages) {
    if (system == null || system.isNull()) {
      return;
    }
    String text;
    if (system.isTextual()) {
      text = system.asText();
    } else if (system instanceof ArrayNode blocks) {
      StringBuilder joined = new StringBuilder();
      for (int i = 0; i < blocks.size(); i++) {
        JsonNode block = blocks.get(i);
        if (!"text".equals(block.path("type").asText()) || !block.path("text").isTextual()) {
          throw invalid("system", "system." + i + ": only text blocks are accepted.");
        }
        appendParagraph(joined, block.get("text").asText());
      }
      text = joined.toString();
    } else {
      throw invalid("system", "system: must be a string or an array of text blocks.");
    }
    messages.addObject().put("role", "system").put("content", text);
  }

  private static void message(JsonNode message, String at, ArrayNode messages) {
    if (!(message instanceof ObjectNode object)) {
      throw invalid(at, at + ": must be an object.");
    }
    String role = object.path("role").asText("");
    if (!role.equals("user") && !role.equals("assistant")) {
      throw invalid(at + ".role", at + ".role: must be 'user' or 'assistant'.");
    }
    JsonNode content = object.get("content");
    if (content != null && content.isTextual()) {
      messages.addObject().put("role", role).put("content", content.asText());
      return;
    }
    if (!(content instanceof ArrayNode blocks)) {
      throw invalid(at + ".content", at + ".content: must be a string or an array of content blocks.");
    }
    if (role.equals("assistant")) {
      assistant(blocks, at, messages);
    } else {
      user(blocks, at, messages);
    }
  }

  /** Text and tool calls; thinking blocks, which a local model cannot take back, are left out. */
  private static void assistant(ArrayNode blocks, String at, ArrayNode messages) {
    StringBuilder text = new StringBuilder();
    ArrayNode calls = Json.array();
    for (int i = 0; i < blocks.size(); i++) {
      JsonNode block = blocks.get(i);
      String where = at + ".content." + i;
      switch (block.path("type").asText("")) {
        case "text" -> text.append(requiredString(block, "text", where));
        case "tool_use" -> {
          ObjectNode call = calls.addObject();
          call.put("id", requiredString(block, "id", where));
          call.put("type", "function");
          JsonNode input = block.get("input");
          call.putObject("function").put("name", requiredString(block, "name", where))
              .put("arguments", Json.string(input == null || input.isNull() ? Json.object() : input));
        }
        case "thinking", "redacted_thinking" -> {
        }
        default -> throw unsupportedBlock(block, where);
      }
    }
    ObjectNode out = messages.addObject().put("role", "assistant");
    if (text.length() > 0 || calls.isEmpty()) {
      out.put("content", text.toString());
    } else {
      out.putNull("content");
    }
    if (!calls.isEmpty()) {
      out.set("tool_calls", calls);
    }
  }

  /** Tool results become tool messages, first; the rest one user message of parts. */
  private static void user(ArrayNode blocks, String at, ArrayNode messages) {
    ArrayNode parts = Json.array();
    boolean onlyText = true;
    for (int i = 0; i < blocks.size(); i++) {
      JsonNode block = blocks.get(i);
      String where = at + ".content." + i;
      switch (block.path("type").asText("")) {
        case "text" -> parts.addObject().put("type", "text").put("text", requiredString(block, "text", where));
        case "image" -> {
          parts.add(image(block, where));
          onlyText = false;
        }
        case "tool_result" -> messages.addObject().put("role", "tool")
            .put("tool_call_id", requiredString(block, "tool_use_id", where))
            .put("content", toolResult(block, where));
        default -> throw unsupportedBlock(block, where);
      }
    }
    if (parts.isEmpty()) {
      return;
    }
    ObjectNode out = messages.addObject().put("role", "user");
    if (onlyText) {
      StringBuilder text = new StringBuilder();
      parts.forEach(part -> appendParagraph(text, part.get("text").asText()));
      out.put("content", text.toString());
    } else {
      out.set("content", parts);
    }
  }

  /** A base64 image as an OpenAI {@code image_url} part with a data URL; images by URL are refused. */
  private static ObjectNode image(JsonNode block, String where) {
    JsonNode source = block.path("source");
    if (!"base64".equals(source.path("type").asText())) {
      throw invalid(where + ".source", where + ".source: only base64 images are accepted (Magi does not fetch URLs).");
    }
    String mediaType = requiredString(source, "media_type", where + ".source");
    if (!mediaType.matches("image/(png|jpeg|gif|webp)")) {
      throw invalid(where + ".source.media_type", where + ".source.media_type: must be image/png, image/jpeg,"
          + " image/gif or image/webp.");
    }
    ObjectNode part = Json.object().put("type", "image_url");
    part.putObject("image_url").put("url", "data:" + mediaType + ";base64,"
        + requiredString(source, "data", where + ".source"));
    return part;
  }

  /** A tool result's text; an error result says so, since a tool message has no flag for it. */
  private static String toolResult(JsonNode block, String where) {
    JsonNode content = block.get("content");
    StringBuilder text = new StringBuilder();
    if (content == null || content.isNull()) {
      // An empty result: the tool ran and returned nothing.
    } else if (content.isTextual()) {
      text.append(content.asText());
    } else if (content instanceof ArrayNode parts) {
      for (int i = 0; i < parts.size(); i++) {
        JsonNode part = parts.get(i);
        if (!"text".equals(part.path("type").asText())) {
          throw invalid(where + ".content." + i, where + ".content." + i
              + ": only text is accepted in a tool result.");
        }
        appendParagraph(text, requiredString(part, "text", where + ".content." + i));
      }
    } else {
      throw invalid(where + ".content", where + ".content: must be a string or an array of text blocks.");
    }
    return block.path("is_error").asBoolean(false) ? "Error: " + text : text.toString();
  }

  private static List<String> stopSequences(JsonNode given) {
    if (given == null || given.isNull()) {
      return List.of();
    }
    if (!(given instanceof ArrayNode list) || list.size() > MAX_STOP_SEQUENCES) {
      throw invalid("stop_sequences", "stop_sequences: must be an array of at most " + MAX_STOP_SEQUENCES
          + " strings.");
    }
    List<String> stops = new ArrayList<>();
    for (JsonNode stop : list) {
      if (!stop.isTextual() || stop.asText().isEmpty() || stop.asText().length() > MAX_STOP_LENGTH) {
        throw invalid("stop_sequences", "stop_sequences: each must be a non-empty string of at most "
            + MAX_STOP_LENGTH + " characters.");
      }
      stops.add(stop.asText());
    }
    return List.copyOf(stops);
  }

  /** Client tools as OpenAI function tools, and {@code tool_choice}. */
  private static void tools(ObjectNode request, ObjectNode chat) {
    JsonNode given = request.get("tools");
    if (given != null && !given.isNull()) {
      if (!(given instanceof ArrayNode list)) {
        throw invalid("tools", "tools: must be an array.");
      }
      ArrayNode tools = chat.putArray("tools");
      for (int i = 0; i < list.size(); i++) {
        JsonNode tool = list.get(i);
        String where = "tools." + i;
        String type = tool.path("type").asText("custom");
        if (!type.equals("custom")) {
          throw invalid(where + ".type", where + ".type: '" + type + "' is a server tool of Anthropic's; only"
              + " client tools (with an input_schema) can be given to a local model.");
        }
        JsonNode schema = tool.get("input_schema");
        if (!(schema instanceof ObjectNode)) {
          throw invalid(where + ".input_schema", where + ".input_schema: Field required (a JSON schema object).");
        }
        ObjectNode function = tools.addObject().put("type", "function").putObject("function");
        function.put("name", requiredString(tool, "name", where));
        if (tool.path("description").isTextual()) {
          function.put("description", tool.get("description").asText());
        }
        function.set("parameters", schema);
      }
    }
    JsonNode choice = request.get("tool_choice");
    if (choice == null || choice.isNull()) {
      return;
    }
    switch (choice.path("type").asText("")) {
      case "auto" -> chat.put("tool_choice", "auto");
      case "any" -> chat.put("tool_choice", "required");
      case "none" -> chat.put("tool_choice", "none");
      case "tool" -> chat.putObject("tool_choice").put("type", "function").putObject("function")
          .put("name", requiredString(choice, "name", "tool_choice"));
      default -> throw invalid("tool_choice", "tool_choice.type: must be 'auto', 'any', 'tool' or 'none'.");
    }
    if (choice.path("disable_parallel_tool_use").asBoolean(false)) {
      chat.put("parallel_tool_calls", false);
    }
  }

  private static ApiException unsupportedBlock(JsonNode block, String where) {
    String type = block.path("type").asText("");
    return invalid(where + ".type", where + ".type: " + (type.isEmpty() ? "missing"
        : "'" + type + "' blocks are not supported") + " (Magi accepts text, image, tool_use and tool_result).");
  }

  private static void appendParagraph(StringBuilder text, String paragraph) {
    if (text.length() > 0) {
      text.append("\n\n");
    }
    text.append(paragraph);
  }

  private static void copyNumber(ObjectNode from, String field, ObjectNode to) {
    JsonNode value = from.get(field);
    if (value == null || value.isNull()) {
      return;
    }
    if (!value.isNumber()) {
      throw invalid(field, field + ": must be a number.");
    }
    to.set(field, value);
  }

  private static boolean optionalBoolean(ObjectNode request, String field) {
    JsonNode value = request.get(field);
    if (value == null || value.isNull()) {
      return false;
    }
    if (!value.isBoolean()) {
      throw invalid(field, field + ": must be a boolean.");
    }
    return value.asBoolean();
  }

  private static String requiredString(JsonNode object, String field) {
    return requiredString(object, field, null);
  }

  private static String requiredString(JsonNode object, String field, String where) {
    JsonNode value = object.get(field);
    String name = where == null ? field : where + "." + field;
    if (value == null || value.isNull()) {
      throw invalid(name, name + ": Field required.");
    }
    if (!value.isTextual()) {
      throw invalid(name, name + ": must be a string.");
    }
    return value.asText();
  }

  private static ApiException invalid(String param, String message) {
    return ApiException.invalid(param, message);
  }
}
