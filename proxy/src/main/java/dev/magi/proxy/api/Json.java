package dev.magi.proxy.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/** The one JSON mapper for responses and upstream bodies, and small helpers around it. */
public final class Json {

  /** Shared, thread-safe mapper; fields keep the order they were put in. */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {
  }

  /** A new empty object. */
  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** A new empty array. */
  public static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  /** Serialises {@code node} to a buffer. */
  public static Buffer buffer(JsonNode node) {
    try {
      return Buffer.buffer(MAPPER.writeValueAsBytes(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise JSON", e);
    }
  }

  /** Serialises {@code node} to a string. */
  public static String string(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise JSON", e);
    }
  }

  /**
   * Parses bytes from a backend.
   *
   * @return the tree, or null when the bytes are not JSON
   */
  public static JsonNode parseOrNull(byte[] bytes, int offset, int length) {
    try {
      return MAPPER.readTree(bytes, offset, length);
    } catch (IOException e) {
      return null;
    }
  }

  /** As {@link #parseOrNull(byte[], int, int)} for a whole buffer. */
  public static JsonNode parseOrNull(Buffer buffer) {
    byte[] bytes = buffer.getBytes();
    return parseOrNull(bytes, 0, bytes.length);
  }
}
