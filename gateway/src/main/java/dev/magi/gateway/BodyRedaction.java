package dev.magi.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A captured request body made fit to show an operator: credentials a client put in it are replaced by
 * {@value #REDACTED}. What counts as one:
 * <ul>
 *   <li>the value of a member named like a credential ({@code api_key}, {@code apiKey}, {@code key},
 *       {@code token}, {@code access_token}, {@code secret}, {@code password}, {@code authorization},
 *       {@code credentials}, ...; not {@code max_tokens});</li>
 *   <li>a string that looks like one ({@code Bearer ...}, {@code sk-...});</li>
 *   <li>Magi's own API keys and admin token, wherever they appear.</li>
 * </ul>
 * A whole JSON body is redacted member by member; a truncated or non-JSON one by the same rules over its
 * text.
 */
final class BodyRedaction {

  static final String REDACTED = "[redacted]";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SECRET_NAME = Pattern.compile(
      "(?i)(api[_-]?key|x[_-]api[_-]key|key|secret|client[_-]?secret|token|access[_-]?token|refresh[_-]?token"
      + "|auth[_-]?token|id[_-]?token|password|passwd|authorization|credentials?)");
  private static final Pattern SECRET_VALUE = Pattern.compile("(?i)(bearer\\s+\\S+|\\bsk-[a-z0-9_-]{8,})");
  /** A member with a string value; possessive, so that a long string is one step, not one a character. */
  private static final Pattern SECRET_MEMBER = Pattern.compile(
      "\"([A-Za-z_-]{1,40})\"(\\s*:\\s*)\"(?:[^\"\\\\]++|\\\\.)*+\"?");

  private BodyRedaction() {
  }

  /**
   * The body as text, its credentials redacted.
   *
   * @param body the bytes kept
   * @param truncated whether they are only the start of the body (then it is not parsed as JSON)
   * @param secrets strings never shown: Magi's own keys and token
   */
  static String redact(byte[] body, boolean truncated, Collection<String> secrets) {
    String text = new String(body, StandardCharsets.UTF_8);
    if (!truncated) {
      try {
        JsonNode parsed = JSON.readTree(text);
        if (parsed != null && parsed.isContainerNode()) {
          return replaceSecrets(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(redact(parsed)), secrets);
        }
      } catch (java.io.IOException notJson) {
        // Redacted as text below.
      }
    }
    Matcher members = SECRET_MEMBER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (members.find()) {
      String replacement = SECRET_NAME.matcher(members.group(1)).matches()
          ? "\"" + members.group(1) + "\"" + members.group(2) + "\"" + REDACTED + "\"" : members.group();
      members.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    members.appendTail(out);
    return replaceSecrets(SECRET_VALUE.matcher(out).replaceAll(REDACTED), secrets);
  }

  private static JsonNode redact(JsonNode node) {
    if (node instanceof ObjectNode object) {
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        if (SECRET_NAME.matcher(field.getKey()).matches() && !field.getValue().isContainerNode()) {
          field.setValue(TextNode.valueOf(REDACTED));
        } else {
          field.setValue(redact(field.getValue()));
        }
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, redact(array.get(i)));
      }
    } else if (node.isTextual() && SECRET_VALUE.matcher(node.asText()).find()) {
      return TextNode.valueOf(SECRET_VALUE.matcher(node.asText()).replaceAll(REDACTED));
    }
    return node;
  }

  private static String replaceSecrets(String text, Collection<String> secrets) {
    String out = text;
    for (String secret : secrets) {
      if (secret.length() >= 4) {
        out = out.replace(secret, REDACTED);
      }
    }
    return out;
  }
}
