package dev.magi.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.gateway.rag.VectorStoreRequests;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;

/**
 * Turns an OpenAI Responses request into the chat request Magi routes: a pure function. The
 * conversation is the stored one of {@code previous_response_id} (when given) followed by this
 * request's {@code input}; what a local model cannot do (OpenAI's hosted tools, files, images by URL)
 * is refused with a 400 that names it.
 *
 * <p>The chat always asks the backend for a stream with its usage chunk: {@link ResponsesAnswer}
 * builds the response, streamed or whole, from the stream's events.
 */
public final class ResponsesRequests {

  private ResponsesRequests() {
  }

  /**
   * A translated request.
   *
   * @param chat the chat request, streamed with its usage chunk
   * @param echo the request's settings as a response repeats them ({@code model}, {@code instructions},
   *     {@code tools}, {@code temperature}, ...)
   * @param input this request's input, as items
   * @param conversation the previous conversation and this input, as items: what the next response
   *     in the chain continues
   * @param stream whether the client asked for a stream
   * @param store whether the response is kept ({@code store}, default true)
   */
  public record Translated(ObjectNode chat, ObjectNode echo, ArrayNode input, ArrayNode conversation, boolean stream,
      boolean store, FileSearch fileSearch) {

    /** The text of the conversation's last user message: what a file search looks for. */
    public String lastUserText() {
      JsonNode messages = chat.get("messages");
      for (int i = messages.size() - 1; i >= 0; i--) {
        JsonNode message = messages.get(i);
        if ("user".equals(message.path("role").asText())) {
          JsonNode content = message.get("content");
          if (content.isTextual()) {
            return content.asText();
          }
          StringBuilder text = new StringBuilder();
          content.forEach(part -> text.append(part.path("text").asText("")));
          return text.toString();
        }
      }
      return "";
    }
  }

  /**
   * A {@code file_search} tool: Magi searches the vector stores itself, before the model answers, and
   * gives the model the passages it found.
   *
   * @param vectorStoreIds the stores searched
   * @param maxResults most passages given to the model (1 to 50, default 10)
   * @param filters the tool's {@code filters}, as sent (checked by the search), or null
   * @param rankingOptions the tool's {@code ranking_options}, as sent, or null
   * @param includeResults whether the {@code file_search_call} item lists its results
   *     ({@code include: ["file_search_call.results"]})
   */
  public record FileSearch(java.util.List<String> vectorStoreIds, int maxResults, JsonNode filters,
      JsonNode rankingOptions, boolean includeResults) {
  }

  /**
   * Translates {@code body}.
   *
   * @param previous the conversation of the response {@code previous_response_id} names, already looked
   *     up (null when the request names none)
   * @throws ApiException 400 when the request is not valid or asks for what Magi cannot give
   */
  public static Translated toChat(JsonNode body, ArrayNode previous) {
    if (!(body instanceof ObjectNode request)) {
      throw ApiException.invalid(null, "The request body must be a JSON object.");
    }
    String model = text(request, "model", true);
    ArrayNode input = inputItems(request.get("input"));
    ArrayNode conversation = Json.array();
    if (previous != null) {
      conversation.addAll(previous);
    }
    conversation.addAll(input);

    ObjectNode chat = Json.object();
    chat.put("model", model);
    ArrayNode messages = chat.putArray("messages");
    String instructions = text(request, "instructions", false);
    if (instructions != null) {
      messages.addObject().put("role", "system").put("content", instructions);
    }
    for (int i = 0; i < conversation.size(); i++) {
      message(conversation.get(i), messages);
    }
    if (messages.isEmpty()) {
      throw ApiException.invalid("input", "'input' must not be empty.");
    }
    ObjectNode echo = Json.object();
    echo.put("model", model);
    echo.put("instructions", instructions);
    JsonNode maxOutput = request.get("max_output_tokens");
    if (maxOutput != null && !maxOutput.isNull()) {
      if (!maxOutput.isIntegralNumber() || !maxOutput.canConvertToInt() || maxOutput.asInt() < 1) {
        throw ApiException.invalid("max_output_tokens", "'max_output_tokens' must be an integer of at least 1.");
      }
      chat.set("max_tokens", maxOutput);
    }
    echo.set("max_output_tokens", maxOutput == null ? Json.object().nullNode() : maxOutput);
    for (String sampling : new String[] {"temperature", "top_p"}) {
      JsonNode value = request.get(sampling);
      if (value != null && !value.isNull()) {
        if (!value.isNumber()) {
          throw ApiException.invalid(sampling, "'" + sampling + "' must be a number.");
        }
        chat.set(sampling, value);
        echo.set(sampling, value);
      } else {
        echo.put(sampling, 1.0);
      }
    }
    FileSearch fileSearch = tools(request, chat, echo);
    format(request, chat, echo);
    String user = text(request, "user", false);
    if (user != null) {
      chat.put("user", user);
    }
    echo.put("user", user);
    JsonNode metadata = request.get("metadata");
    echo.set("metadata", metadata instanceof ObjectNode ? metadata : Json.object());
    echo.put("previous_response_id", text(request, "previous_response_id", false));
    boolean store = bool(request, "store", true);
    echo.put("store", store);
    chat.put("stream", true);
    chat.putObject("stream_options").put("include_usage", true);
    return new Translated(chat, echo, input, conversation, bool(request, "stream", false), store, fileSearch);
  }

  /** {@code input}: a string (one user message) or a list of items, each checked here. */
  private static ArrayNode inputItems(JsonNode input) {
    ArrayNode items = Json.array();
    if (input == null || input.isNull()) {
      throw ApiException.invalid("input", "'input' is required.");
    }
    if (input.isTextual()) {
      ObjectNode message = items.addObject().put("type", "message").put("role", "user");
      message.putArray("content").addObject().put("type", "input_text").put("text", input.asText());
      return items;
    }
    if (!(input instanceof ArrayNode list)) {
      throw ApiException.invalid("input", "'input' must be a string or an array of items.");
    }
    for (int i = 0; i < list.size(); i++) {
      items.add(item(list.get(i), "input[" + i + "]"));
    }
    return items;
  }

  /** One input item in its full form: messages get {@code type} and a content list. */
  private static ObjectNode item(JsonNode given, String at) {
    if (!(given instanceof ObjectNode item)) {
      throw ApiException.invalid(at, "'" + at + "' must be an object.");
    }
    String type = item.path("type").asText(item.has("role") ? "message" : "");
    switch (type) {
      case "message" -> {
        String role = item.path("role").asText("");
        if (!java.util.Set.of("user", "assistant", "system", "developer").contains(role)) {
          throw ApiException.invalid(at + ".role", "'" + at + ".role' must be user, assistant, system or developer.");
        }
        ObjectNode message = Json.object().put("type", "message").put("role", role);
        JsonNode content = item.get("content");
        ArrayNode parts = message.putArray("content");
        if (content != null && content.isTextual()) {
          parts.addObject().put("type", role.equals("assistant") ? "output_text" : "input_text")
              .put("text", content.asText());
        } else if (content instanceof ArrayNode list) {
          for (int i = 0; i < list.size(); i++) {
            parts.add(part(list.get(i), at + ".content[" + i + "]"));
          }
        } else {
          throw ApiException.invalid(at + ".content", "'" + at + ".content' must be a string or an array of parts.");
        }
        return message;
      }
      case "function_call" -> {
        text(item, "call_id", true, at);
        text(item, "name", true, at);
        text(item, "arguments", true, at);
        return item;
      }
      case "function_call_output" -> {
        text(item, "call_id", true, at);
        JsonNode output = item.get("output");
        if (output == null || !(output.isTextual() || output.isArray())) {
          throw ApiException.invalid(at + ".output", "'" + at + ".output' must be a string.");
        }
        return item;
      }
      case "reasoning", "file_search_call" -> {
        // What came before: kept in the conversation, not given to the model again.
        return item;
      }
      default -> throw ApiException.invalid(at + ".type", "'" + at + ".type' " + (type.isEmpty() ? "is missing"
          : "'" + type + "' is not supported") + " (Magi accepts message, function_call, function_call_output,"
          + " file_search_call and reasoning items).");
    }
  }

  private static ObjectNode part(JsonNode given, String at) {
    String type = given.path("type").asText("");
    switch (type) {
      case "input_text", "output_text" -> {
        return Json.object().put("type", type).put("text", text(given, "text", true, at));
      }
      case "refusal" -> {
        return Json.object().put("type", "output_text").put("text", text(given, "refusal", true, at));
      }
      case "input_image" -> {
        String url = text(given, "image_url", true, at);
        if (!url.startsWith("data:image/")) {
          throw ApiException.invalid(at + ".image_url", "'" + at + ".image_url' must be a data: URL (Magi does not"
              + " fetch URLs, and has no file store for images).");
        }
        return Json.object().put("type", "input_image").put("image_url", url);
      }
      default -> throw ApiException.invalid(at + ".type", "'" + at + ".type' " + (type.isEmpty() ? "is missing"
          : "'" + type + "' is not supported") + " (Magi accepts input_text, output_text and input_image).");
    }
  }

  /**
   * One item as chat messages: consecutive function calls join the assistant message before them,
   * a function call's output is a tool message, reasoning is left out.
   */
  private static void message(JsonNode item, ArrayNode messages) {
    switch (item.path("type").asText()) {
      case "message" -> {
        String role = item.get("role").asText();
        ObjectNode message = messages.addObject().put("role", role.equals("developer") ? "system" : role);
        ArrayNode parts = (ArrayNode) item.get("content");
        boolean onlyText = true;
        StringBuilder text = new StringBuilder();
        ArrayNode chatParts = Json.array();
        for (JsonNode part : parts) {
          if (part.get("type").asText().equals("input_image")) {
            onlyText = false;
            chatParts.addObject().put("type", "image_url").putObject("image_url")
                .put("url", part.get("image_url").asText());
          } else {
            text.append(part.get("text").asText());
            chatParts.addObject().put("type", "text").put("text", part.get("text").asText());
          }
        }
        if (onlyText) {
          message.put("content", text.toString());
        } else {
          message.set("content", chatParts);
        }
      }
      case "function_call" -> {
        ObjectNode last = messages.isEmpty() ? null : (ObjectNode) messages.get(messages.size() - 1);
        ObjectNode assistant = last != null && "assistant".equals(last.path("role").asText()) ? last
            : messages.addObject().put("role", "assistant").putNull("content");
        ArrayNode calls = assistant.has("tool_calls") ? (ArrayNode) assistant.get("tool_calls")
            : assistant.putArray("tool_calls");
        ObjectNode call = calls.addObject().put("id", item.get("call_id").asText()).put("type", "function");
        call.putObject("function").put("name", item.get("name").asText())
            .put("arguments", item.get("arguments").asText());
      }
      case "function_call_output" -> {
        JsonNode output = item.get("output");
        String text;
        if (output.isTextual()) {
          text = output.asText();
        } else {
          StringBuilder joined = new StringBuilder();
          output.forEach(part -> joined.append(part.path("text").asText("")));
          text = joined.toString();
        }
        messages.addObject().put("role", "tool").put("tool_call_id", item.get("call_id").asText()).put("content", text);
      }
      default -> {
      }
    }
  }

  /**
   * Function tools, a {@code file_search} tool (returned: Magi runs it), and {@code tool_choice}; OpenAI's
   * other hosted tools are refused.
   *
   * @return the file search to run, or null
   */
  private static FileSearch tools(ObjectNode request, ObjectNode chat, ObjectNode echo) {
    ArrayNode echoed = echo.putArray("tools");
    JsonNode given = request.get("tools");
    FileSearch fileSearch = null;
    if (given != null && !given.isNull()) {
      if (!(given instanceof ArrayNode list)) {
        throw ApiException.invalid("tools", "'tools' must be an array.");
      }
      ArrayNode tools = Json.array();
      for (int i = 0; i < list.size(); i++) {
        JsonNode tool = list.get(i);
        String at = "tools[" + i + "]";
        String type = tool.path("type").asText("");
        if (type.equals("file_search")) {
          if (fileSearch != null) {
            throw ApiException.invalid(at, "Only one file_search tool may be given.");
          }
          fileSearch = fileSearch(tool, at, request.get("include"));
          ObjectNode echoedTool = echoed.addObject().put("type", "file_search");
          echoedTool.set("vector_store_ids", Json.MAPPER.valueToTree(fileSearch.vectorStoreIds()));
          echoedTool.put("max_num_results", fileSearch.maxResults());
          echoedTool.set("filters", fileSearch.filters() == null ? Json.object().nullNode() : fileSearch.filters());
          echoedTool.set("ranking_options", fileSearch.rankingOptions() == null
              ? Json.object().put("ranker", "auto").put("score_threshold", 0.0) : fileSearch.rankingOptions());
          continue;
        }
        if (!type.equals("function")) {
          throw ApiException.invalid(at + ".type", "'" + at + ".type' '" + type + "' is not supported: Magi gives"
              + " local models function tools, and runs file_search itself.");
        }
        ObjectNode function = tools.addObject().put("type", "function").putObject("function");
        function.put("name", text(tool, "name", true, at));
        ObjectNode echoedTool = echoed.addObject().put("type", "function").put("name", function.get("name").asText());
        String description = text(tool, "description", false, at);
        if (description != null) {
          function.put("description", description);
        }
        echoedTool.put("description", description);
        JsonNode parameters = tool.get("parameters");
        if (parameters != null && !parameters.isNull()) {
          if (!parameters.isObject()) {
            throw ApiException.invalid(at + ".parameters", "'" + at + ".parameters' must be a JSON schema object.");
          }
          function.set("parameters", parameters);
        }
        echoedTool.set("parameters", parameters == null ? Json.object().nullNode() : parameters);
        JsonNode strict = tool.get("strict");
        boolean isStrict = strict == null || strict.isNull() || strict.asBoolean(true);
        function.put("strict", isStrict);
        echoedTool.put("strict", isStrict);
      }
      if (!tools.isEmpty()) {
        chat.set("tools", tools);
      }
    }
    JsonNode choice = request.get("tool_choice");
    if (choice == null || choice.isNull()) {
      echo.put("tool_choice", "auto");
    } else if (choice.isTextual() && java.util.Set.of("auto", "none", "required").contains(choice.asText())) {
      chat.set("tool_choice", choice);
      echo.set("tool_choice", choice);
    } else if ("function".equals(choice.path("type").asText())) {
      chat.putObject("tool_choice").put("type", "function").putObject("function")
          .put("name", text(choice, "name", true, "tool_choice"));
      echo.set("tool_choice", choice);
    } else {
      throw ApiException.invalid("tool_choice", "'tool_choice' must be auto, none, required or a function.");
    }
    boolean parallel = bool(request, "parallel_tool_calls", true);
    if (!parallel) {
      chat.put("parallel_tool_calls", false);
    }
    echo.put("parallel_tool_calls", parallel);
    return fileSearch;
  }

  /** A {@code file_search} tool, checked: its stores, how many results, its filters and ranking. */
  private static FileSearch fileSearch(JsonNode tool, String at, JsonNode include) {
    JsonNode ids = tool.get("vector_store_ids");
    if (!(ids instanceof ArrayNode list) || list.isEmpty() || list.size() > 10) {
      throw ApiException.invalid(at + ".vector_store_ids", "'" + at + ".vector_store_ids' must list 1 to 10 vector"
          + " store ids.");
    }
    java.util.List<String> stores = new java.util.ArrayList<>();
    for (JsonNode id : list) {
      if (!id.isTextual() || id.asText().isEmpty() || id.asText().length() > 128) {
        throw ApiException.invalid(at + ".vector_store_ids", "'" + at + ".vector_store_ids' must hold vector store"
            + " ids.");
      }
      stores.add(id.asText());
    }
    JsonNode max = tool.get("max_num_results");
    int maxResults = 10;
    if (max != null && !max.isNull()) {
      if (!max.isIntegralNumber() || max.asInt() < 1 || max.asInt() > VectorStoreRequests.MAX_RESULTS) {
        throw ApiException.invalid(at + ".max_num_results", "'" + at + ".max_num_results' must be 1 to "
            + VectorStoreRequests.MAX_RESULTS + ".");
      }
      maxResults = max.asInt();
    }
    JsonNode filters = tool.get("filters");
    JsonNode ranking = tool.get("ranking_options");
    boolean results = include instanceof ArrayNode asked
        && java.util.stream.StreamSupport.stream(asked.spliterator(), false)
            .anyMatch(item -> "file_search_call.results".equals(item.asText()));
    return new FileSearch(java.util.List.copyOf(stores), maxResults, filters == null || filters.isNull() ? null : filters,
        ranking == null || ranking.isNull() ? null : ranking, results);
  }

  /** {@code text.format}: plain text, a JSON object, or a JSON schema (the backend's structured output). */
  private static void format(ObjectNode request, ObjectNode chat, ObjectNode echo) {
    JsonNode format = request.path("text").get("format");
    ObjectNode text = echo.putObject("text");
    if (format == null || format.isNull() || "text".equals(format.path("type").asText())) {
      text.putObject("format").put("type", "text");
      return;
    }
    switch (format.path("type").asText("")) {
      case "json_object" -> chat.putObject("response_format").put("type", "json_object");
      case "json_schema" -> {
        JsonNode schema = format.get("schema");
        if (!(schema instanceof ObjectNode)) {
          throw ApiException.invalid("text.format.schema", "'text.format.schema' must be a JSON schema object.");
        }
        ObjectNode jsonSchema = chat.putObject("response_format").put("type", "json_schema").putObject("json_schema");
        jsonSchema.put("name", text(format, "name", true, "text.format"));
        jsonSchema.set("schema", schema);
        jsonSchema.put("strict", format.path("strict").asBoolean(false));
      }
      default -> throw ApiException.invalid("text.format.type", "'text.format.type' must be text, json_object or"
          + " json_schema.");
    }
    text.set("format", format);
  }

  private static boolean bool(ObjectNode request, String field, boolean otherwise) {
    JsonNode value = request.get(field);
    if (value == null || value.isNull()) {
      return otherwise;
    }
    if (!value.isBoolean()) {
      throw ApiException.invalid(field, "'" + field + "' must be a boolean.");
    }
    return value.asBoolean();
  }

  private static String text(JsonNode object, String field, boolean required) {
    return text(object, field, required, null);
  }

  private static String text(JsonNode object, String field, boolean required, String at) {
    JsonNode value = object.get(field);
    String name = at == null ? field : at + "." + field;
    if (value == null || value.isNull()) {
      if (required) {
        throw ApiException.invalid(name, "'" + name + "' is required.");
      }
      return null;
    }
    if (!value.isTextual()) {
      throw ApiException.invalid(name, "'" + name + "' must be a string.");
    }
    return value.asText();
  }
}
