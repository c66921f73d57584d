package dev.magi.router;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One upstream server (a llama-server, an Ollama, an OpenAI-compatible server) at a fixed address.
 * Its address comes from configuration only, never from a client.
 *
 * <p>Health is written by the active health check and read by anyone; it is a single volatile
 * field, so readers see a consistent value without locks.
 */
public final class Endpoint {

  private final String name;
  private final BackendType type;
  private final String host;
  private final int port;
  private final boolean ssl;
  private final String basePath;
  private final String apiKey;
  private volatile Health health = Health.UNKNOWN;
  private volatile String lastError = "";
  private volatile int discoveredSlots;
  private final Outliers outliers = new Outliers(System::nanoTime);

  private Endpoint(String name, BackendType type, String host, int port, boolean ssl, String basePath,
      String apiKey) {
    this.name = name;
    this.type = type;
    this.host = host;
    this.port = port;
    this.ssl = ssl;
    this.basePath = basePath;
    this.apiKey = apiKey;
  }

  /**
   * Creates an endpoint from an {@code http://} or {@code https://} URL. A trailing {@code /v1} or
   * {@code /} of the URL is dropped: routes are appended to the base path.
   *
   * @param apiKey the key this endpoint expects, or null when it needs none
   * @throws IllegalArgumentException when the URL is not an absolute http(s) URL with a host and an
   *     ASCII path, or the key is not printable ASCII (both go into request heads as they are)
   */
  public static Endpoint of(BackendType type, String url, String apiKey) {
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a URL: " + url);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("must start with http:// or https://, got " + url);
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException("has no host: " + url);
    }
    if (uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null) {
      throw new IllegalArgumentException("must not carry a query, fragment or user info: " + url);
    }
    String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!isVisibleAscii(rawPath)) {
      throw new IllegalArgumentException("the path must be ASCII (percent-encode the rest): " + url);
    }
    if (apiKey != null && !isVisibleAscii(apiKey)) {
      throw new IllegalArgumentException("the API key must be printable ASCII without spaces");
    }
    boolean ssl = scheme.equals("https");
    int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
    String path = rawPath;
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (path.endsWith("/v1")) {
      path = path.substring(0, path.length() - 3);
    }
    String name = scheme + "://" + uri.getHost() + ":" + port + path;
    return new Endpoint(name, type, uri.getHost(), port, ssl, path, apiKey);
  }

  /**
   * Whether {@code text} is visible US-ASCII only (no spaces, no control characters): what a base path
   * or an API key must be to go into a request head as it is.
   */
  public static boolean isVisibleAscii(String text) {
    return text.chars().allMatch(c -> c > 0x20 && c < 0x7f);
  }

  /** A stable name for logs and the admin API: scheme, host, port and base path. */
  public String name() {
    return name;
  }

  /** The protocol this endpoint speaks. */
  public BackendType type() {
    return type;
  }

  /** Host name or address to connect to. */
  public String host() {
    return host;
  }

  /** TCP port to connect to. */
  public int port() {
    return port;
  }

  /** Whether to connect with TLS. */
  public boolean ssl() {
    return ssl;
  }

  /** Path prefix before the routes, without trailing slash; empty for the root. */
  public String basePath() {
    return basePath;
  }

  /** The key to send as {@code Authorization: Bearer}, if the endpoint needs one. */
  public Optional<String> apiKey() {
    return Optional.ofNullable(apiKey);
  }

  /** The latest health verdict. */
  public Health health() {
    return health;
  }

  /** The latest failure seen by the health check, empty when the last check passed. */
  public String lastError() {
    return lastError;
  }

  /** Records the verdict of a health check; {@code error} is empty when it passed. */
  public void recordHealth(Health health, String error) {
    this.lastError = Objects.requireNonNullElse(error, "");
    this.health = Objects.requireNonNull(health);
    if (health == Health.HEALTHY) {
      outliers.checkPassed();
    }
  }

  /** What requests experienced of this endpoint: ejection and slow start. */
  public Outliers outliers() {
    return outliers;
  }

  /** The slots the server reported (llama-server's {@code total_slots}); 0 when unknown. */
  public int discoveredSlots() {
    return discoveredSlots;
  }

  /** Records the slots the server reported. */
  public void recordSlots(int slots) {
    this.discoveredSlots = Math.max(0, slots);
  }

  @Override
  public String toString() {
    return type.configName() + " " + name;
  }
}
