package dev.magi.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses the body of Ollama's {@code GET /api/tags}:
 * {@code {"models":[{"name","model","modified_at","size","digest","details":{...},"capabilities"?}]}}.
 */
public final class OllamaTags {

  /** At most this many models are read from one listing; the rest are ignored. */
  public static final int MAX_MODELS = 4096;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private OllamaTags() {
  }

  /**
   * Reads the models of one listing. Entries without a usable name are skipped.
   *
   * @param body the raw response body
   * @return the models in listing order, possibly empty
   * @throws IllegalArgumentException when the body is not JSON or has no {@code models} array
   */
  public static List<OllamaModel> parse(byte[] body) {
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage());
    }
    JsonNode models = root == null ? null : root.get("models");
    if (models == null || !models.isArray()) {
      throw new IllegalArgumentException("no \"models\" array");
    }
    List<OllamaModel> result = new ArrayList<>();
    for (JsonNode entry : models) {
      if (result.size() == MAX_MODELS) {
        break;
      }
      String name = text(entry, "name");
      if (name.isEmpty()) {
        name = text(entry, "model");
      }
      if (name.isEmpty()) {
        continue;
      }
      JsonNode details = entry.path("details");
      List<String> capabilities = new ArrayList<>();
      entry.path("capabilities").forEach(c -> capabilities.add(c.asText()));
      result.add(new OllamaModel(name, instant(text(entry, "modified_at")), entry.path("size").asLong(0),
          text(details, "family"), text(details, "parameter_size"), text(details, "quantization_level"),
          capabilities));
    }
    return result;
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isTextual() ? value.asText() : "";
  }

  private static Instant instant(String rfc3339) {
    if (rfc3339.isEmpty()) {
      return Instant.EPOCH;
    }
    try {
      return OffsetDateTime.parse(rfc3339).toInstant();
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }
}
