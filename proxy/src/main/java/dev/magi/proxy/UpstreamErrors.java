package dev.magi.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import io.vertx.core.buffer.Buffer;

/**
 * Turns a backend's error response into the OpenAI shape, keeping its status and message:
 * llama-server's {@code {"error":{"code":400,"message","type"}}} (integer code, no param), Ollama's
 * {@code {"error":"..."}}, and bodies that are not JSON at all.
 */
final class UpstreamErrors {

  private static final int MAX_QUOTED = 200;

  private UpstreamErrors() {
  }

  /**
   * Normalises one error response.
   *
   * @param status the backend's HTTP status (4xx or 5xx)
   * @param body the backend's body, possibly empty or cut short
   * @param model the model id the client asked for, for messages
   */
  static ApiException normalise(int status, Buffer body, String model) {
    JsonNode json = Json.parseOrNull(body);
    JsonNode error = json == null ? null : json.get("error");
    String message;
    String type = null;
    String code = null;
    String param = null;
    if (error != null && error.isObject()) {
      message = error.path("message").asText("");
      type = error.path("type").isTextual() ? error.get("type").asText() : null;
      code = error.path("code").isTextual() ? error.get("code").asText() : null;
      param = error.path("param").isTextual() ? error.get("param").asText() : null;
    } else if (error != null && error.isTextual()) {
      message = error.asText();
    } else {
      String text = body.length() > MAX_QUOTED ? body.getString(0, MAX_QUOTED) + "..." : body.toString();
      message = text.isBlank() ? "" : text.strip();
    }
    if (message.isEmpty()) {
      message = "The backend for model '" + model + "' answered HTTP " + status + ".";
    }
    if (status == 401 || status == 403) {
      // The backend rejected Magi's credentials, not the client's: a gateway configuration problem.
      return new ApiException(502, "server_error", null, "backend_auth_failed",
          "The backend for model '" + model + "' rejected the gateway's credentials (HTTP " + status
              + "): " + message);
    }
    if (code == null && type != null) {
      code = switch (type) {
        case "exceed_context_size_error" -> "context_length_exceeded";
        case "unavailable_error" -> message.contains("Loading") ? "model_loading" : "backend_unavailable";
        case "not_supported_error" -> "not_supported";
        default -> null;
      };
    }
    if (code == null && status == 404 && message.contains("not found")) {
      code = "model_not_found";
    }
    if (type == null || type.endsWith("_error") && !isOpenAiType(type)) {
      type = status >= 500 ? "server_error" : "invalid_request_error";
    }
    return new ApiException(status, type, param, code, message);
  }

  private static boolean isOpenAiType(String type) {
    return switch (type) {
      case "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
          "rate_limit_error", "server_error", "api_error" -> true;
      default -> false;
    };
  }
}
