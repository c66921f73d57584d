package dev.magi.gateway;

import dev.magi.testkit.FakeLlamaExecutable;
import dev.magi.testkit.FreePorts;
import java.io.IOException;
import java.nio.file.Path;

/** The {@code models:} section of a test's configuration: everything under one temporary directory. */
final class ModelsYaml {

  private ModelsYaml() {
  }

  /**
   * {@code models:} with its directories under {@code dir}, the fake llama-server executable with
   * {@code behaviour}, {@code ports} leased ports, and {@code more} (indented keys of the section)
   * at the end.
   */
  static String models(Path dir, String behaviour, int ports, String more) throws IOException {
    int base = FreePorts.range(ports);
    return "models:\n  dir: " + dir.resolve("models") + "\n  data: " + dir.resolve("data") + "\n  logs: "
        + dir.resolve("logs") + "\n  llama_server: " + FakeLlamaExecutable.write(dir.resolve("bin"), behaviour)
        + "\n  port_range_start: " + base + "\n  port_range_end: " + (base + ports - 1) + "\n" + more;
  }
}
