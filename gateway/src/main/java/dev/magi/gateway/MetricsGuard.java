package dev.magi.gateway;

import dev.magi.gateway.config.Cidr;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.proxy.api.ApiException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Who may read {@code /metrics}. With {@code metrics.token} set, or else the admin token: whoever
 * presents it as {@code Authorization: Bearer <token>} (compared in constant time), from anywhere.
 * Without either: clients on loopback, and clients whose address is in {@code metrics.allowed_from}, in
 * both cases only when the request did not come through a proxy ({@code X-Forwarded-For},
 * {@code Forwarded} or {@code X-Real-IP}). The series name models and backends, which is not for everyone.
 */
final class MetricsGuard {

  private volatile Optional<byte[]> token = Optional.empty();
  private volatile List<Cidr> allowedFrom = List.of();

  MetricsGuard(MagiConfig config) {
    reconfigure(config);
  }

  /** Takes a reloaded configuration's token and networks for the scrapes from now on. */
  void reconfigure(MagiConfig config) {
    Optional<String> required = config.metrics().token().or(config::adminToken);
    token = required.map(ApiKeys::sha256);
    allowedFrom = config.metrics().allowedFrom();
  }

  /** @throws ApiException 401 or 403 when the request may not read the metrics */
  void check(HttpServerRequest request) {
    Optional<byte[]> expected = token;
    if (expected.isPresent()) {
      if (!MessageDigest.isEqual(expected.get(), ApiKeys.sha256(ApiKeys.bearer(request)))) {
        throw new ApiException(401, "invalid_request_error", null, "invalid_metrics_token",
            "The metrics need 'Authorization: Bearer <token>' (metrics.token, or else the admin token).");
      }
      return;
    }
    boolean proxied = AdminGuard.viaProxy(request);
    if (!proxied && AdminGuard.fromLoopback(request)) {
      return;
    }
    SocketAddress remote = request.remoteAddress();
    String address = remote == null ? null : remote.hostAddress();
    // A request that came through a proxy is the proxy's client's, wherever the proxy stands.
    for (Cidr network : proxied ? List.<Cidr>of() : allowedFrom) {
      if (network.contains(address)) {
        return;
      }
    }
    throw new ApiException(403, "permission_error", null, "metrics_forbidden",
        "The metrics are open to local clients only; list the scraper's network in metrics.allowed_from, or set "
        + "metrics.token.");
  }
}
