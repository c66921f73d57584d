package dev.magi.registry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.util.logging.Logger;

/**
 * The owner of the model catalogue: scans on a worker thread, persists each scan to the registry file,
 * and hands out the latest {@link Catalog} snapshot to anyone without locks.
 */
public final class ModelCatalog {

  private static final Logger LOG = Logger.getLogger(ModelCatalog.class.getName());

  private final Vertx vertx;
  private final ModelScanner scanner;
  private final Path registryFile;
  private final Clock clock;
  private volatile Catalog current = Catalog.EMPTY;

  /**
   * @param scanner what to scan
   * @param registryFile where each scan is written ({@code REGISTRY_PATH})
   */
  public ModelCatalog(Vertx vertx, ModelScanner scanner, Path registryFile, Clock clock) {
    this.vertx = vertx;
    this.scanner = scanner;
    this.registryFile = registryFile;
    this.clock = clock;
  }

  /** The latest snapshot; {@link Catalog#EMPTY} before the first scan. */
  public Catalog current() {
    return current;
  }

  /**
   * Scans the models directory off the event loop and writes the registry file (unless there is no
   * models directory and never was a registry file).
   *
   * @return the new snapshot; a failed future when the directory cannot be walked (the previous
   *     snapshot stays)
   */
  public Future<Catalog> rescan() {
    return vertx.executeBlocking(() -> {
      Catalog scanned = new Catalog(scanner.scan(), clock.instant());
      current = scanned;
      if (!java.nio.file.Files.isDirectory(scanner.root()) && !java.nio.file.Files.exists(registryFile)) {
        return scanned; // no models directory and no earlier registry: nothing worth a file
      }
      try {
        CatalogJson.save(scanned, registryFile);
      } catch (java.io.IOException e) {
        LOG.warning(() -> "cannot write the registry file " + registryFile + ": " + e.getMessage());
      }
      long invalid = scanned.models().stream().filter(m -> !m.valid()).count();
      LOG.info(() -> "model catalogue: " + scanned.models().size() + " models"
          + (invalid > 0 ? " (" + invalid + " invalid)" : ""));
      return scanned;
    }, false);
  }
}
