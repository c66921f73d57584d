package dev.magi.proxy.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * A failure a client sees as an OpenAI-shaped error: {@code {"error":{"message","type","param","code"}}}
 * with an HTTP status. Every error the gateway returns, before or inside a stream, is one of these,
 * and it is turned into bytes in one place ({@link #toJson()}).
 */
public final class ApiException extends RuntimeException {

  private final int status;
  private final String type;
  private final String param;
  private final String code;
  private final Map<String, String> headers;

  /**
   * @param status HTTP status
   * @param type OpenAI error type ({@code invalid_request_error}, {@code server_error}, ...)
   * @param param the request field at fault, or null
   * @param code a machine-readable code ({@code model_not_found}), or null
   * @param message what went wrong, for a person
   */
  public ApiException(int status, String type, String param, String code, String message) {
    this(status, type, param, code, message, Map.of());
  }

  /** As {@link #ApiException(int, String, String, String, String)}, with extra response headers. */
  public ApiException(int status, String type, String param, String code, String message,
      Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.headers = Map.copyOf(headers);
  }

  /** 400 for a request field that is missing, of the wrong type or out of bounds. */
  public static ApiException invalid(String param, String message) {
    return new ApiException(400, "invalid_request_error", param, "invalid_value", message);
  }

  /** 404 for a model no backend serves, with OpenAI's own wording. */
  public static ApiException modelNotFound(String model) {
    return new ApiException(404, "invalid_request_error", "model", "model_not_found",
        "The model `" + model + "` does not exist or you do not have access to it.");
  }

  /** 502 for a backend that could not be reached or answered nonsense. */
  public static ApiException badGateway(String message) {
    return new ApiException(502, "server_error", null, "bad_gateway", message);
  }

  /** A 503 for a model that is loading or restarting: the client may try again in a few seconds. */
  public static ApiException retryable(String code, String message) {
    return new ApiException(503, "server_error", null, code, message, Map.of("Retry-After", "5"));
  }

  /** 504 for a backend that did not answer in time. */
  public static ApiException timeout(String message) {
    return new ApiException(504, "server_error", null, "upstream_timeout", message);
  }

  /**
   * Logs {@code failure}, which nothing expected, with its stack trace under {@code log}, and returns the
   * 500 a client gets for it: a message that names nothing of the gateway's insides.
   *
   * @param what what was being done, for the log line
   */
  public static ApiException unexpected(java.util.logging.Logger log, String what, Throwable failure) {
    log.log(java.util.logging.Level.SEVERE, what + " failed unexpectedly", failure);
    return new ApiException(500, "server_error", null, "internal_error",
        "The gateway failed while handling this request; the failure is in its log.");
  }

  /** HTTP status to answer with. */
  public int status() {
    return status;
  }

  /** OpenAI error type. */
  public String type() {
    return type;
  }

  /** Request field at fault, or null. */
  public String param() {
    return param;
  }

  /** Machine-readable code, or null. */
  public String code() {
    return code;
  }

  /** Extra headers to send with the error (e.g. {@code Retry-After}). */
  public Map<String, String> headers() {
    return headers;
  }

  /** The error body: {@code {"error":{"message","type","param","code"}}}, all four keys present. */
  public ObjectNode toJson() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode error = root.putObject("error");
    error.put("message", getMessage());
    error.put("type", type);
    error.put("param", param);
    error.put("code", code);
    return root;
  }
}
