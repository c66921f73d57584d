package dev.magi.gateway.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checks and defaults the configuration records use in their constructors. Each check names the
 * key relative to the record it belongs to; the binding puts the record's own path in front.
 */
final class ConfigValues {

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kib|kb|mib|mb|gib|gb)?");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  private ConfigValues() {
  }

  /** {@code value}, or {@code fallback} when the key was absent. */
  static <T> T or(T value, T fallback) {
    return value == null ? fallback : value;
  }

  /** An absent, empty or blank string as empty, else trimmed. */
  static Optional<String> text(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  /** A copy of an absent list as an empty one. */
  static <T> List<T> list(List<T> values) {
    return values == null ? List.of() : List.copyOf(values);
  }

  /** A copy of an absent mapping as an empty one, in file order. */
  static <V> Map<String, V> map(Map<String, V> values) {
    return values == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
  }

  static int between(String key, int value, int min, int max) {
    if (value < min || value > max) {
      throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  static long bytesBetween(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw new ConfigException(key, "must be between " + min + " and " + max + " bytes, got " + value);
    }
    return value;
  }

  static Duration between(String key, Duration value, Duration min, Duration max) {
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new ConfigException(key, "must be between " + min.toMillis() + "ms and " + max.toMillis() + "ms, got "
          + describe(value));
    }
    return value;
  }

  private static String describe(Duration value) {
    return value.toMillis() % 1000 == 0 ? value.toSeconds() + "s" : value.toMillis() + "ms";
  }

  /** A duration: a whole number of seconds, or a number with {@code ms}, {@code s}, {@code m} or {@code h}. */
  static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches() || m.group(1).length() > 9) {
      throw new ConfigException("", "must be a duration such as 500ms, 30s, 5m or 1h, got " + text);
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
  static long parseSize(String text) {
    Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches() || m.group(1).length() > 12) {
      throw new ConfigException("", "must be a size such as 2097152, 512KiB, 2MiB or 4GiB, got " + text);
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

  /** Model ids appear in URLs and logs: printable, no spaces, at most 256 characters. */
  static String modelName(String key, String name) {
    if (name.isEmpty() || name.length() > 256 || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new ConfigException(key, "must be 1-256 printable ASCII characters without spaces, got '" + name + "'");
    }
    return name;
  }

  /** Every entry of {@code names} is a model name; {@code key[i]} is blamed otherwise. */
  static List<String> modelNames(String key, List<String> names) {
    for (int i = 0; i < names.size(); i++) {
      modelName(key + "[" + i + "]", names.get(i));
    }
    return names;
  }

  /** Every entry of {@code strings} is present and not blank; {@code key[i]} is blamed otherwise. */
  static List<String> nonBlank(String key, List<String> strings) {
    if (strings == null) {
      return List.of();
    }
    for (int i = 0; i < strings.size(); i++) {
      if (strings.get(i) == null || strings.get(i).isBlank()) {
        throw new ConfigException(key + "[" + i + "]", "must be a non-empty string");
      }
    }
    return strings.stream().map(String::trim).toList();
  }

  /** Names of environment variables a model server is given. */
  static Map<String, String> environment(String key, Map<String, String> env) {
    Map<String, String> result = new java.util.TreeMap<>();
    map(env).forEach((name, value) -> {
      if (!ENV_NAME.matcher(name).matches()) {
        throw new ConfigException(key + "." + name, "is not an environment variable name");
      }
      result.put(name, value == null ? "" : value);
    });
    return result;
  }

  static String policy(String key, String name) {
    if (dev.magi.router.LoadBalancer.named(name, new java.util.Random()).isEmpty()) {
      throw new ConfigException(key, "must be least_outstanding, round_robin or p2c, got " + name);
    }
    return name;
  }

  /** An origin is {@code *} or {@code scheme://host[:port]}, with nothing after it. */
  static String origin(String key, String origin) {
    if (origin.equals("*")) {
      return origin;
    }
    try {
      java.net.URI uri = new java.net.URI(origin);
      boolean bare = (uri.getPath() == null || uri.getPath().isEmpty()) && uri.getQuery() == null
          && uri.getFragment() == null && uri.getUserInfo() == null;
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null && bare) {
        return origin;
      }
    } catch (java.net.URISyntaxException e) {
      // reported below
    }
    throw new ConfigException(key, "must be * or an origin such as https://app.example.com, got '" + origin + "'");
  }

  /** This process's limit on open files, or 1024 where it cannot be read. */
  static long openFileLimit() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return 1024;
  }
}
