package dev.magi.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * HTTP clients towards backends. Backends die, restart and reset idle connections as a matter of
 * course; a reset on a connection with no request on it is noted at FINE rather than reported as an
 * unhandled failure. Failures of requests still reach their own handlers.
 */
final class UpstreamClients {

  private static final Logger LOG = Logger.getLogger(UpstreamClients.class.getName());

  private UpstreamClients() {
  }

  static HttpClient create(Vertx vertx, HttpClientOptions options, PoolOptions pool) {
    return vertx.httpClientBuilder().with(options).with(pool)
        .withConnectHandler(connection -> connection.exceptionHandler(failure ->
            LOG.log(Level.FINE, "upstream connection to " + connection.remoteAddress() + ": " + failure)))
        .build();
  }
}
