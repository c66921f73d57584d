package dev.magi.gateway;

import dev.magi.proxy.api.ApiException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may use {@code /api/}.
 *
 * <p>With {@code MAGI_ADMIN_TOKEN} set: whoever presents it as {@code Authorization: Bearer <token>}
 * (compared in constant time), from no web page of another origin unless {@code server.cors_origins}
 * lists it.
 *
 * <p>Without a token, the machine's own users only, and not through their browsers on someone else's
 * behalf:
 * <ul>
 *   <li>the client is on loopback, and the request did not come through a proxy (a reverse proxy on the
 *       same host would otherwise turn every remote client into a loopback one);</li>
 *   <li>the request is addressed ({@code Host}) to a loopback name or address, or to one of
 *       {@code admin.allowed_hosts}: a page that rebinds its own DNS name to 127.0.0.1 sends its own
 *       name;</li>
 *   <li>it has no {@code Origin}, or Magi's own: a page elsewhere cannot post to it;</li>
 *   <li>a POST, PUT or DELETE with a body says {@code Content-Type: application/json}, which no HTML
 *       form can send.</li>
 * </ul>
 */
final class AdminGuard {

  private volatile Optional<byte[]> token;
  private volatile List<String> allowedHosts;
  private final WebOrigins origins;

  AdminGuard(Optional<String> token, List<String> allowedHosts, WebOrigins origins) {
    this.origins = origins;
    reconfigure(token, allowedHosts);
  }

  /** A new admin token and host list (a reloaded configuration); requests from now on are checked by them. */
  void reconfigure(Optional<String> token, List<String> allowedHosts) {
    this.token = token.map(AdminGuard::digest);
    this.allowedHosts = List.copyOf(allowedHosts);
  }

  /** @throws ApiException 401, 403 or 415 when the request may not use the admin API */
  void check(HttpServerRequest request) {
    Optional<byte[]> expected = token;
    if (expected.isPresent()) {
      if (!MessageDigest.isEqual(expected.get(), digest(ApiKeys.bearer(request)))) {
        throw new ApiException(401, "invalid_request_error", null, "invalid_admin_token",
            "The admin API needs 'Authorization: Bearer <MAGI_ADMIN_TOKEN>'.");
      }
      origins.check(request);
      return;
    }
    if (!fromLoopback(request) || viaProxy(request)) {
      throw new ApiException(403, "permission_error", null, "admin_forbidden",
          "The admin API is open to local clients only; set MAGI_ADMIN_TOKEN to use it from elsewhere.");
    }
    String host = hostName(request.getHeader("Host"));
    if (!isLoopbackName(host) && !allowedHosts.contains(host)) {
      throw new ApiException(403, "permission_error", null, "admin_host_not_allowed",
          "The admin API answers requests addressed to localhost only (Host was not a loopback name); list "
          + "other names in admin.allowed_hosts, or set MAGI_ADMIN_TOKEN.");
    }
    if (WebOrigins.crossOrigin(request)) {
      throw WebOrigins.forbidden(request.getHeader("Origin"));
    }
    HttpMethod method = request.method();
    boolean changes = method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.DELETE;
    if (changes && hasBody(request) && !isJson(request.getHeader("Content-Type"))) {
      throw new ApiException(415, "invalid_request_error", null, "unsupported_media_type",
          "Admin requests with a body must send it as 'Content-Type: application/json'.");
    }
  }

  /**
   * Who may load the console's pages ({@code /ui/}). With a token set, anyone: the pages hold no data, and
   * every call they make to the admin API carries the token the operator types in. Without one, whoever
   * may use the admin API.
   *
   * @throws ApiException 403 when the request may not
   */
  void checkPage(HttpServerRequest request) {
    if (token.isEmpty()) {
      check(request);
    }
  }

  private static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader("Content-Length");
    return request.getHeader("Transfer-Encoding") != null || (length != null && !length.trim().equals("0"));
  }

  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return type.equals("application/json");
  }

  /** The host of a {@code Host} header, lower case, without its port; "" when there is none. */
  static String hostName(String header) {
    if (header == null) {
      return "";
    }
    String host = header.trim().toLowerCase(Locale.ROOT);
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? host : host.substring(0, end + 1);
    }
    int colon = host.lastIndexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }

  /** Whether {@code host} names this machine's loopback interface. */
  static boolean isLoopbackName(String host) {
    return host.equals("localhost") || host.endsWith(".localhost") || host.equals("[::1]")
        || host.matches("127(\\.\\d{1,3}){3}");
  }

  /** Whether {@code request} came through a proxy: it names a client of its own. */
  static boolean viaProxy(HttpServerRequest request) {
    return request.getHeader("X-Forwarded-For") != null || request.getHeader("Forwarded") != null
        || request.getHeader("X-Real-IP") != null;
  }

  /** Whether {@code request}'s connection comes from a loopback address. */
  static boolean fromLoopback(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    return remote != null && remote.hostAddress() != null && isLoopbackAddress(remote.hostAddress());
  }

  private static boolean isLoopbackAddress(String address) {
    return address.startsWith("127.") || address.equals("0:0:0:0:0:0:0:1") || address.equals("::1");
  }

  private static byte[] digest(String value) {
    return ApiKeys.sha256(value);
  }
}
