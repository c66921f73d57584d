package dev.magi.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * The {@code encoding_format: "base64"} form of an embedding: standard padded base64 of the raw
 * IEEE-754 float32 values, little-endian, 4 bytes per dimension, no header (what the OpenAI SDKs
 * decode with {@code np.frombuffer(b64decode(s), "float32")}).
 */
final class EmbeddingVectors {

  private EmbeddingVectors() {
  }

  /** Encodes an array of numbers. */
  static String base64(JsonNode numbers) {
    ByteBuffer bytes = ByteBuffer.allocate(numbers.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (JsonNode number : numbers) {
      bytes.putFloat((float) number.asDouble());
    }
    return Base64.getEncoder().encodeToString(bytes.array());
  }

  /** Decodes the base64 form back to floats. */
  static float[] decode(String base64) {
    ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.remaining() / 4];
    for (int i = 0; i < values.length; i++) {
      values[i] = bytes.getFloat();
    }
    return values;
  }

  /**
   * Rewrites every {@code data[i].embedding} that is an array of numbers into its base64 form.
   * Items already in base64 are left alone.
   *
   * @return whether anything was rewritten
   */
  static boolean encodeAll(ObjectNode response) {
    boolean changed = false;
    JsonNode data = response.get("data");
    if (data instanceof ArrayNode items) {
      for (JsonNode item : items) {
        if (item instanceof ObjectNode object && object.get("embedding") instanceof ArrayNode vector) {
          object.put("embedding", base64(vector));
          changed = true;
        }
      }
    }
    return changed;
  }
}
