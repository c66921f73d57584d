package dev.magi.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** Files of the repository that tests check (the example configuration, the docs, the dashboard). */
public final class RepositoryFiles {

  private RepositoryFiles() {
  }

  /**
   * {@code name} (a path from the repository's root), found from the working directory of a module's
   * tests upwards.
   *
   * @throws IllegalStateException when no directory above holds it
   */
  public static Path path(String name) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve(name))) {
        return dir.resolve(name);
      }
    }
    throw new IllegalStateException("no " + name + " above " + Path.of("").toAbsolutePath());
  }
}
