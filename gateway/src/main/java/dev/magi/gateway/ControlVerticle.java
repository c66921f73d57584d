package dev.magi.gateway;

import dev.magi.gateway.config.BackendSettings;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.router.ActiveHealthCheck;
import dev.magi.router.BackendDirectory;
import dev.magi.router.BackendType;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * The control path on its own event loop, away from request traffic: active health checks of every
 * endpoint, and model discovery on Ollama endpoints. Starting it completes after the first round of
 * both, so the gateway comes up knowing its models and their health.
 */
final class ControlVerticle extends AbstractVerticle {

  private final MagiConfig config;
  private final BackendDirectory directory;
  private ActiveHealthCheck health;

  ControlVerticle(MagiConfig config, BackendDirectory directory) {
    this.config = config;
    this.directory = directory;
  }

  @Override
  public void start(Promise<Void> started) {
    HttpClient client = UpstreamClients.create(vertx, new HttpClientOptions()
        .setConnectTimeout((int) config.health().timeout().toMillis())
        .setKeepAliveTimeout(3), new PoolOptions().setHttp1MaxSize(4));
    List<Future<Void>> discoveries = new ArrayList<>();
    for (BackendSettings backend : config.backends()) {
      if (backend.type() == BackendType.OLLAMA && backend.model().isEmpty()) {
        OllamaDiscovery discovery = new OllamaDiscovery(vertx, client, directory, backend,
            config.health().timeout().toMillis() * 5);
        discoveries.add(discovery.start(config.ollamaRefresh().toMillis()));
      }
    }
    health = new ActiveHealthCheck(vertx, client, directory::endpoints, config.health().timeout().toMillis());
    Future.join(discoveries)
        .compose(ignored -> {
          health.start(config.health().interval().toMillis());
          return health.checkAll();
        })
        .<Void>mapEmpty()
        .onComplete(started);
  }

  @Override
  public void stop() {
    if (health != null) {
      health.stop();
    }
  }
}
