package dev.magi.gateway;

import dev.magi.gateway.config.BackendSettings;
import dev.magi.registry.OllamaCatalog;
import dev.magi.registry.OllamaModel;
import dev.magi.registry.OllamaModelName;
import dev.magi.router.BackendDirectory;
import dev.magi.router.Endpoint;
import dev.magi.router.ModelDeclaration;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Keeps the models of one Ollama endpoint (configured without a model) in the directory: asks
 * {@code /api/tags} at start and then periodically. A failed listing keeps the previous models, so a
 * short Ollama restart does not make models vanish; health checks decide whether they get traffic.
 */
final class OllamaDiscovery {

  private static final Logger LOG = Logger.getLogger(OllamaDiscovery.class.getName());

  private final Vertx vertx;
  private final OllamaCatalog catalog;
  private final BackendDirectory directory;
  private final BackendSettings settings;
  private final long timeoutMillis;
  private boolean failing;

  OllamaDiscovery(Vertx vertx, HttpClient client, BackendDirectory directory, BackendSettings settings,
      long timeoutMillis) {
    this.vertx = vertx;
    this.catalog = new OllamaCatalog(client);
    this.directory = directory;
    this.settings = settings;
    this.timeoutMillis = timeoutMillis;
  }

  /** The directory source name under which this endpoint's models are declared. */
  String source() {
    return sourceOf(settings);
  }

  /** The directory source name under which an Ollama endpoint's models are declared. */
  static String sourceOf(BackendSettings settings) {
    return "ollama:" + settings.endpoint().name();
  }

  /** Lists now, then every {@code refreshMillis}. The future completes after the first listing. */
  Future<Void> start(long refreshMillis) {
    vertx.setPeriodic(refreshMillis, refreshMillis, id -> refresh());
    return refresh();
  }

  /** Lists the endpoint's models once; the future always succeeds. */
  Future<Void> refresh() {
    Endpoint endpoint = settings.endpoint();
    return catalog.list(endpoint.host(), endpoint.port(), endpoint.ssl(), endpoint.basePath(), timeoutMillis)
        .map(models -> {
          List<ModelDeclaration> declarations = new ArrayList<>();
          for (OllamaModel model : models) {
            String name = OllamaModelName.canonical(model.name());
            declarations.add(new ModelDeclaration(name, List.of(), endpoint, name, model.modifiedAt()));
          }
          directory.replace(source(), declarations);
          if (failing) {
            LOG.info(() -> endpoint + " lists " + models.size() + " models again");
          }
          failing = false;
          return (Void) null;
        })
        .recover(failure -> {
          if (!failing) {
            LOG.warning(() -> endpoint + ": cannot list models (" + failure.getMessage()
                + "); keeping the previous list");
          }
          failing = true;
          return Future.succeededFuture();
        });
  }
}
