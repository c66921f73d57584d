package dev.magi.gateway.config;

/**
 * Configuration that cannot be used. The message starts with the field path
 * ({@code backends[1].url: must start with http:// or https://}).
 */
public final class ConfigException extends RuntimeException {

  /** @param path the field path, e.g. {@code server.port}; empty for the whole file */
  public ConfigException(String path, String problem) {
    super(path.isEmpty() ? problem : path + ": " + problem);
  }
}
