package dev.magi.gateway;

import dev.magi.gateway.api.ApiException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Who may use {@code /api/}. With {@code MAGI_ADMIN_TOKEN} set: whoever presents it as
 * {@code Authorization: Bearer <token>} (compared in constant time). Without it: loopback clients only,
 * and only when the request did not come through a proxy (a reverse proxy on the same host would
 * otherwise turn every remote client into a loopback one).
 */
final class AdminGuard {

  private final Optional<byte[]> token;

  AdminGuard(Optional<String> token) {
    this.token = token.map(t -> digest(t));
  }

  /** @throws ApiException 401 or 403 when the request may not use the admin API */
  void check(HttpServerRequest request) {
    if (token.isPresent()) {
      String auth = request.getHeader("Authorization");
      String presented = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : "";
      if (!MessageDigest.isEqual(token.get(), digest(presented))) {
        throw new ApiException(401, "invalid_request_error", null, "invalid_admin_token",
            "The admin API needs 'Authorization: Bearer <MAGI_ADMIN_TOKEN>'.");
      }
      return;
    }
    SocketAddress remote = request.remoteAddress();
    boolean loopback = remote != null && remote.hostAddress() != null
        && (remote.hostAddress().startsWith("127.") || remote.hostAddress().equals("0:0:0:0:0:0:0:1")
        || remote.hostAddress().equals("::1"));
    boolean proxied = request.getHeader("X-Forwarded-For") != null || request.getHeader("Forwarded") != null
        || request.getHeader("X-Real-IP") != null;
    if (!loopback || proxied) {
      throw new ApiException(403, "permission_error", null, "admin_forbidden",
          "The admin API is open to local clients only; set MAGI_ADMIN_TOKEN to use it from elsewhere.");
    }
  }

  private static byte[] digest(String value) {
    return ApiKeys.sha256(value);
  }
}
