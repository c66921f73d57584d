package dev.magi.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads typed values out of a parsed YAML tree and names the field path in every complaint.
 * A missing key yields the default; a key of the wrong type is a {@link ConfigException}.
 */
final class ConfigReader {

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kib|kb|mib|mb|gib|gb)?");

  private final JsonNode node;
  private final String path;

  ConfigReader(JsonNode node, String path) {
    this.node = node == null ? MissingNode.getInstance() : node;
    this.path = path;
    if (!this.node.isMissingNode() && !this.node.isNull() && !this.node.isObject()) {
      throw new ConfigException(path, "must be a mapping of keys to values");
    }
  }

  /**
   * While set (by {@link ConfigLoader#keysAccepted}), every mapping's path and the keys it accepts are
   * recorded here: the schema as the loader itself knows it, which a test holds the reference page and
   * the example file to.
   */
  static final ThreadLocal<java.util.Map<String, Set<String>>> SCHEMA = new ThreadLocal<>();

  /** Refuses keys other than {@code known}, which catches typos that would silently be defaults. */
  ConfigReader allowOnly(String... known) {
    Set<String> allowed = Set.of(known);
    java.util.Map<String, Set<String>> schema = SCHEMA.get();
    if (schema != null) {
      schema.computeIfAbsent(path, p -> new TreeSet<>()).addAll(allowed);
    }
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new ConfigException(at(name), "unknown key (known keys: " + String.join(", ", new TreeSet<>(allowed)) + ")");
      }
    }
    return this;
  }

  /** The keys of this mapping, in file order. */
  List<String> keys() {
    List<String> keys = new ArrayList<>();
    node.fieldNames().forEachRemaining(keys::add);
    return keys;
  }

  String at(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  boolean has(String key) {
    JsonNode value = node.get(key);
    return value != null && !value.isNull();
  }

  ConfigReader child(String key) {
    return new ConfigReader(node.get(key), at(key));
  }

  String string(String key, String fallback) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isValueNode() || value.isBoolean()) {
      throw new ConfigException(at(key), "must be a string");
    }
    return value.asText();
  }

  boolean bool(String key, boolean fallback) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isBoolean()) {
      throw new ConfigException(at(key), "must be true or false, got " + value);
    }
    return value.asBoolean();
  }

  String requiredString(String key) {
    String value = string(key, null);
    if (value == null || value.isBlank()) {
      throw new ConfigException(at(key), "is required");
    }
    return value.trim();
  }

  int integer(String key, int fallback, int min, int max) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.canConvertToInt() || !(value.isIntegralNumber() || value.isTextual() && value.asText().matches("-?\\d+"))) {
      throw new ConfigException(at(key), "must be a whole number, got " + value);
    }
    return checkRange(at(key), value.asInt(), min, max);
  }

  static int checkRange(String path, int value, int min, int max) {
    if (value < min || value > max) {
      throw new ConfigException(path, "must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  /** A duration: a whole number of seconds, or a number with {@code ms}, {@code s}, {@code m} or {@code h}. */
  Duration duration(String key, Duration fallback, Duration min, Duration max) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    Duration result = parseDuration(at(key), value.asText());
    if (result.compareTo(min) < 0 || result.compareTo(max) > 0) {
      throw new ConfigException(at(key), "must be between " + min.toMillis() + "ms and " + max.toMillis() + "ms, got "
          + value.asText());
    }
    return result;
  }

  static Duration parseDuration(String path, String text) {
    Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches() || m.group(1).length() > 9) {
      throw new ConfigException(path, "must be a duration such as 500ms, 30s, 5m or 1h, got " + text);
    }
    long amount = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      default -> Duration.ofSeconds(amount);
    };
  }

  /** A size in bytes: a whole number, or a number with {@code KiB}, {@code MiB} or {@code GiB}. */
  long size(String key, long fallback, long min, long max) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    long result = parseSize(at(key), value.asText());
    if (result < min || result > max) {
      throw new ConfigException(at(key), "must be between " + min + " and " + max + " bytes, got " + value.asText());
    }
    return result;
  }

  static long parseSize(String path, String text) {
    Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches() || m.group(1).length() > 12) {
      throw new ConfigException(path, "must be a size such as 2097152, 512KiB, 2MiB or 4GiB, got " + text);
    }
    long amount = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2);
    return switch (unit) {
      case "kib", "kb" -> amount << 10;
      case "mib", "mb" -> amount << 20;
      case "gib", "gb" -> amount << 30;
      default -> amount;
    };
  }

  List<String> strings(String key) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return List.of();
    }
    if (!value.isArray()) {
      throw new ConfigException(at(key), "must be a list of strings");
    }
    List<String> result = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      if (!item.isTextual() || item.asText().isBlank()) {
        throw new ConfigException(at(key) + "[" + i + "]", "must be a non-empty string");
      }
      result.add(item.asText().trim());
    }
    return result;
  }

  List<ConfigReader> objects(String key) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return List.of();
    }
    if (!value.isArray()) {
      throw new ConfigException(at(key), "must be a list");
    }
    List<ConfigReader> result = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      result.add(new ConfigReader(value.get(i), at(key) + "[" + i + "]"));
    }
    return result;
  }
}
