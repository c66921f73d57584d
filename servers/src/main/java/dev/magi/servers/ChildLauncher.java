package dev.magi.servers;

import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Starts child processes. The real one is {@link ProcessLauncher}; tests may record instead. */
public interface ChildLauncher {

  /**
   * Starts {@code command}.
   *
   * @param env variables the child gets beyond the allowed part of Magi's environment
   *     ({@link ChildEnvironment})
   * @param logFile where its output is also written
   * @return the running child, or a failed future (e.g. the binary does not exist)
   */
  Future<Child> launch(List<String> command, Map<String, String> env, Path logFile);
}
