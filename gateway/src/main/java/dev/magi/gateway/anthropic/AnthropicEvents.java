package dev.magi.gateway.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.magi.proxy.api.Json;
import io.vertx.core.buffer.Buffer;

/** Anthropic's SSE framing: a named event and one line of JSON, {@code event: <name>\ndata: <json>\n\n}. */
final class AnthropicEvents {

  private AnthropicEvents() {
  }

  /** One event. */
  static Buffer event(String name, JsonNode data) {
    return Buffer.buffer(64).appendString("event: ").appendString(name).appendString("\ndata: ")
        .appendBuffer(Json.buffer(data)).appendString("\n\n");
  }
}
