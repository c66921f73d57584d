package dev.magi.gateway.anthropic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ClientFace;
import dev.magi.proxy.api.Json;
import io.vertx.core.buffer.Buffer;

/**
 * Errors in the shape of Anthropic's API: {@code {"type":"error","error":{"type","message"}}}, the type
 * told by the status as Anthropic's clients expect (their SDKs pick an exception class by status).
 * The status itself is the one Magi decided, as on every face.
 */
public final class AnthropicErrors {

  private AnthropicErrors() {
  }

  /** Anthropic's error type for an answer of {@code status}. */
  static String type(int status) {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 413 -> "request_too_large";
      case 429 -> "rate_limit_error";
      case 503, 529 -> "overloaded_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }

  /** The error as Anthropic's JSON. */
  static ObjectNode json(ApiException error) {
    ObjectNode root = Json.object();
    root.put("type", "error");
    root.putObject("error").put("type", type(error.status())).put("message", error.getMessage());
    return root;
  }

  /** The body of an HTTP error answer. */
  public static Buffer body(ApiException error) {
    return Json.buffer(json(error));
  }

  /** The {@code error} event that ends a stream already under way. */
  public static Buffer event(ApiException error) {
    return ClientFace.namedEvent("error", json(error));
  }
}
