package dev.magi.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.Json;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Maps OpenAI requests to Ollama's native API, following the table in protocols.md §5:
 * chat → {@code /api/chat}, completions → {@code /api/generate}, embeddings → {@code /api/embed}.
 * What Ollama cannot do ({@code n > 1}, token prompts, remote image URLs) is refused with 400.
 */
final class OllamaRequests {

  private static final String[] OPTION_FIELDS = {"temperature", "top_p", "seed", "frequency_penalty",
      "presence_penalty", "top_k", "min_p", "typical_p", "repeat_penalty", "repeat_last_n", "num_ctx"};

  private OllamaRequests() {
  }

  /** The {@code /api/chat} body for a chat request. */
  static ObjectNode chat(ApiRequest request, String upstreamModel) {
    ObjectNode in = request.body();
    refuseSeveralChoices(in);
    ObjectNode out = Json.object();
    out.put("model", upstreamModel);
    ArrayNode messages = out.putArray("messages");
    Map<String, String> toolNames = new HashMap<>();
    JsonNode source = in.get("messages");
    for (int i = 0; i < source.size(); i++) {
      messages.add(message(source.get(i), "messages[" + i + "]", toolNames));
    }
    out.put("stream", request.stream());
    out.set("options", options(request));
    JsonNode tools = in.get("tools");
    boolean toolsOff = "none".equals(in.path("tool_choice").asText(null));
    if (tools != null && tools.isArray() && !tools.isEmpty() && !toolsOff) {
      out.set("tools", tools);
    }
    JsonNode format = in.get("response_format");
    if (format != null && format.isObject()) {
      switch (format.path("type").asText("")) {
        case "json_object" -> out.put("format", "json");
        case "json_schema" -> {
          JsonNode schema = format.path("json_schema").get("schema");
          if (schema == null || !schema.isObject()) {
            throw ApiException.invalid("response_format.json_schema.schema", "A JSON schema object is required.");
          }
          out.set("format", schema);
        }
        default -> { }
      }
    }
    JsonNode effort = in.get("reasoning_effort");
    if (effort != null && effort.isTextual()) {
      switch (effort.asText()) {
        case "none" -> out.put("think", false);
        case "minimal", "low" -> out.put("think", "low");
        default -> out.put("think", effort.asText());
      }
    }
    copyIfPresent(in, out, "logprobs");
    copyIfPresent(in, out, "top_logprobs");
    return out;
  }

  /** The {@code /api/generate} body for a (legacy) completion request. */
  static ObjectNode generate(ApiRequest request, String upstreamModel) {
    ObjectNode in = request.body();
    refuseSeveralChoices(in);
    if (in.path("echo").asBoolean(false)) {
      throw ApiException.invalid("echo", "Ollama backends cannot echo the prompt; 'echo' must be false.");
    }
    if (in.path("best_of").asInt(1) > 1) {
      throw ApiException.invalid("best_of", "Ollama backends produce one choice; 'best_of' must be 1.");
    }
    JsonNode prompt = in.get("prompt");
    String text;
    if (prompt.isTextual()) {
      text = prompt.asText();
    } else if (prompt.size() == 1 && prompt.get(0).isTextual()) {
      text = prompt.get(0).asText();
    } else {
      throw ApiException.invalid("prompt", "Ollama backends take one prompt string, not token arrays or several prompts.");
    }
    ObjectNode out = Json.object();
    out.put("model", upstreamModel);
    out.put("prompt", text);
    if (in.path("suffix").isTextual()) {
      out.put("suffix", in.get("suffix").asText());
    }
    out.put("stream", request.stream());
    out.set("options", options(request));
    return out;
  }

  /** The {@code /api/embed} body for an embeddings request. */
  static ObjectNode embed(ApiRequest request, String upstreamModel) {
    JsonNode input = request.body().get("input");
    if (input.isArray() && !input.get(0).isTextual()) {
      throw ApiException.invalid("input", "Ollama backends embed text, not token arrays.");
    }
    ObjectNode out = Json.object();
    out.put("model", upstreamModel);
    out.set("input", input);
    copyIfPresent(request.body(), out, "dimensions");
    return out;
  }

  private static void refuseSeveralChoices(ObjectNode in) {
    if (in.path("n").asInt(1) > 1) {
      throw ApiException.invalid("n", "Ollama backends produce one choice per request; 'n' must be 1.");
    }
  }

  private static ObjectNode options(ApiRequest request) {
    ObjectNode in = request.body();
    ObjectNode options = Json.object();
    request.maxTokens().ifPresent(max -> options.put("num_predict", max));
    for (String field : OPTION_FIELDS) {
      copyIfPresent(in, options, field);
    }
    JsonNode stop = in.get("stop");
    if (stop != null && stop.isTextual()) {
      options.putArray("stop").add(stop.asText());
    } else if (stop != null && stop.isArray()) {
      options.set("stop", stop);
    }
    return options;
  }

  private static ObjectNode message(JsonNode in, String at, Map<String, String> toolNames) {
    ObjectNode out = Json.object();
    String role = in.get("role").asText();
    out.put("role", switch (role) {
      case "developer" -> "system";
      case "function" -> "tool";
      default -> role;
    });
    JsonNode content = in.get("content");
    if (content == null || content.isNull()) {
      out.put("content", "");
    } else if (content.isTextual()) {
      out.put("content", content.asText());
    } else {
      contentParts(content, at + ".content", out);
    }
    JsonNode calls = in.get("tool_calls");
    if (calls != null && calls.isArray()) {
      ArrayNode outCalls = out.putArray("tool_calls");
      for (int j = 0; j < calls.size(); j++) {
        outCalls.add(toolCall(calls.get(j), at + ".tool_calls[" + j + "]", toolNames));
      }
    }
    JsonNode callId = in.get("tool_call_id");
    if (callId != null && callId.isTextual()) {
      out.put("tool_call_id", callId.asText());
      String name = toolNames.get(callId.asText());
      if (name != null) {
        out.put("tool_name", name);
      }
    } else if (in.path("name").isTextual() && role.equals("tool")) {
      out.put("tool_name", in.get("name").asText());
    }
    return out;
  }

  private static void contentParts(JsonNode parts, String at, ObjectNode out) {
    StringBuilder text = new StringBuilder();
    ArrayNode images = null;
    for (int j = 0; j < parts.size(); j++) {
      JsonNode part = parts.get(j);
      String type = part.path("type").asText("");
      switch (type) {
        case "text" -> {
          if (text.length() > 0) {
            text.append('\n');
          }
          text.append(part.path("text").asText(""));
        }
        case "image_url" -> {
          String url = part.path("image_url").path("url").asText("");
          int comma = url.indexOf(',');
          if (!url.startsWith("data:") || comma < 0 || !url.substring(0, comma).endsWith(";base64")) {
            // Fetching a URL the client chose would let a client make the gateway call anywhere.
            throw ApiException.invalid(at + "[" + j + "].image_url.url",
                "Ollama backends take images as data: URIs with base64 content; remote URLs are not fetched.");
          }
          if (images == null) {
            images = out.putArray("images");
          }
          images.add(url.substring(comma + 1));
        }
        default -> throw ApiException.invalid(at + "[" + j + "].type",
            "Content part type '" + type + "' is not supported by Ollama backends; use text or image_url.");
      }
    }
    out.put("content", text.toString());
  }

  private static ObjectNode toolCall(JsonNode call, String at, Map<String, String> toolNames) {
    ObjectNode out = Json.object();
    String id = call.path("id").asText("");
    String name = call.path("function").path("name").asText("");
    if (!id.isEmpty()) {
      out.put("id", id);
      toolNames.put(id, name);
    }
    ObjectNode function = out.putObject("function");
    function.put("name", name);
    JsonNode arguments = call.path("function").get("arguments");
    if (arguments == null || arguments.isNull() || arguments.isTextual() && arguments.asText().isBlank()) {
      function.putObject("arguments");
    } else if (arguments.isTextual()) {
      try {
        function.set("arguments", Json.MAPPER.readTree(arguments.asText()));
      } catch (IOException e) {
        throw ApiException.invalid(at + ".function.arguments", "Tool call arguments must be a JSON object in a string.");
      }
    } else {
      function.set("arguments", arguments);
    }
    return out;
  }

  private static void copyIfPresent(JsonNode from, ObjectNode to, String field) {
    JsonNode value = from.get(field);
    if (value != null && !value.isNull()) {
      to.set(field, value);
    }
  }
}
