package dev.magi.gateway.config;

/**
 * Configuration that cannot be used. The message starts with the field path
 * ({@code backends[1].url: must start with http:// or https://}).
 *
 * <p>A record's constructor names the key relative to itself ({@code url}); the binding puts the
 * path of the record in front ({@link #under}).
 */
public final class ConfigException extends RuntimeException {

  private final String path;
  private final String problem;

  /** @param path the field path, e.g. {@code server.port}; empty for the whole file */
  public ConfigException(String path, String problem) {
    super(path.isEmpty() ? problem : path + ": " + problem);
    this.path = path;
    this.problem = problem;
  }

  /** The field path, empty for the whole file (or, while binding, for the value at hand). */
  public String path() {
    return path;
  }

  /** What is wrong, without the path. */
  public String problem() {
    return problem;
  }

  /** This problem with {@code parent} (the path of the mapping or list it was found in) in front. */
  ConfigException under(String parent) {
    if (parent.isEmpty()) {
      return this;
    }
    String joined = path.isEmpty() ? parent : path.startsWith("[") ? parent + path : parent + "." + path;
    return new ConfigException(joined, problem);
  }
}
