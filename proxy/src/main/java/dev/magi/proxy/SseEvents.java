package dev.magi.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ClientFace;
import dev.magi.proxy.api.Json;
import io.vertx.core.buffer.Buffer;

/** The bytes of SSE events as OpenAI clients read them: {@code data: <one-line JSON>\n\n}. */
final class SseEvents {

  /** The last event of a complete stream. */
  static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

  private static final byte[] PREFIX = "data: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] SUFFIX = "\n\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private SseEvents() {
  }

  /** One event carrying {@code json}. */
  static Buffer event(JsonNode json) {
    return Buffer.buffer().appendBytes(PREFIX).appendBuffer(Json.buffer(json)).appendBytes(SUFFIX);
  }

  /** The in-band error event: {@code data: {"error":{...}}}; the SDKs raise on it. */
  static Buffer error(ApiException error) {
    return ClientFace.OPENAI.errorEvent(error);
  }

  /** An in-band error for a stream that broke after its first event. */
  static Buffer error(String code, String message) {
    return error(new ApiException(502, "server_error", null, code, message));
  }
}
