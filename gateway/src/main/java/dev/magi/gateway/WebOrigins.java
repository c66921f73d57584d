package dev.magi.gateway;

import dev.magi.proxy.api.ApiException;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Locale;

/**
 * What a web page may make a browser send to Magi. A browser names the page a request comes from in
 * {@code Origin}; Magi's own origin is the one the request is addressed to ({@code http://} or
 * {@code https://} and its {@code Host}). A request from any other origin is refused unless that origin
 * is listed in {@code server.cors_origins} ({@code *} lists every origin): a page elsewhere on the web
 * must not spend this machine's GPUs or drive its admin API. Requests without {@code Origin} (curl, the
 * SDKs, servers) are not browsers' cross-site requests and pass.
 */
final class WebOrigins {

  private final List<String> allowed;
  private final boolean any;

  /** @param corsOrigins {@code server.cors_origins} */
  WebOrigins(List<String> corsOrigins) {
    this.any = corsOrigins.contains("*");
    this.allowed = corsOrigins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
  }

  /** Whether cross-origin requests are allowed from some origin: CORS headers are then needed. */
  boolean corsEnabled() {
    return any || !allowed.isEmpty();
  }

  /** The origins listed, {@code *} included. */
  List<String> listed() {
    return allowed;
  }

  /** Whether {@code request} comes from a page of another origin (it has an {@code Origin} not Magi's own). */
  static boolean crossOrigin(HttpServerRequest request) {
    String origin = request.getHeader("Origin");
    return origin != null && !sameOrigin(origin, request.getHeader("Host"));
  }

  /** Whether {@code origin} is {@code http://host} or {@code https://host}, {@code host} being the request's Host. */
  static boolean sameOrigin(String origin, String host) {
    if (host == null || host.isEmpty()) {
      return false;
    }
    String lower = origin.toLowerCase(Locale.ROOT);
    String wanted = host.toLowerCase(Locale.ROOT);
    return lower.equals("http://" + wanted) || lower.equals("https://" + wanted);
  }

  /** Whether {@code origin} is listed in {@code server.cors_origins}. */
  boolean listed(String origin) {
    return any || allowed.contains(origin.toLowerCase(Locale.ROOT));
  }

  /**
   * Refuses a cross-origin request whose origin is not listed.
   *
   * @throws ApiException 403 {@code origin_not_allowed}
   */
  void check(HttpServerRequest request) {
    if (crossOrigin(request) && !listed(request.getHeader("Origin"))) {
      throw forbidden(request.getHeader("Origin"));
    }
  }

  /** The 403 a request from a page of an origin that is not allowed gets. */
  static ApiException forbidden(String origin) {
    return new ApiException(403, "permission_error", null, "origin_not_allowed", "Requests from web pages at "
        + abbreviate(origin) + " are not allowed; list the origin in server.cors_origins to allow them.");
  }

  private static String abbreviate(String text) {
    String printable = text.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() <= 100 ? printable : printable.substring(0, 100) + "...";
  }
}
