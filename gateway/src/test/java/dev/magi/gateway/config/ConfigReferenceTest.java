package dev.magi.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every key the loader accepts is described in {@code docs/configuration.md} and listed in
 * {@code magi.example.yaml}: the schema is read off the records the file is bound to, the same
 * place the binding takes the keys it enforces from.
 */
class ConfigReferenceTest {

  /** Every accepted key, as its documented path: {@code server.port}, {@code backends[].url}, ... */
  static List<String> documentedPaths() {
    List<String> paths = new ArrayList<>();
    for (Map.Entry<String, Set<String>> mapping : ConfigLoader.keysAccepted().entrySet()) {
      String path = mapping.getKey().replace("profiles.<*>", "profiles.<name>")
          .replace("models.settings.<*>", "models.settings.<stem>");
      for (String key : mapping.getValue()) {
        paths.add(path.isEmpty() ? key : path + "." + key);
      }
    }
    return paths;
  }

  @Test
  void theSchemaHasEveryMappingOfTheFile() {
    List<String> paths = documentedPaths();
    for (String expected : List.of("server.port", "backends[].url", "profiles.<name>.models[].ttl",
        "models.settings.<stem>.pinned", "models.defaults.env", "router.policies", "config.watch")) {
      assertTrue(paths.contains(expected), expected + " in " + paths);
    }
  }

  private static Path repositoryFile(String name) {
    return dev.magi.testkit.RepositoryFiles.path(name);
  }

  @Test
  void everyKeyIsDescribedInTheReferencePage() throws Exception {
    String page = Files.readString(repositoryFile("docs/configuration.md"));
    List<String> missing = documentedPaths().stream().filter(path -> !page.contains("`" + path + "`")).toList();
    assertEquals(List.of(), missing, "keys the loader accepts that docs/configuration.md does not describe");
  }

  @Test
  void everyKeyIsListedInTheExampleFile() throws Exception {
    String example = Files.readString(repositoryFile("magi.example.yaml"));
    List<String> missing = new ArrayList<>();
    for (String path : documentedPaths()) {
      String key = path.substring(path.lastIndexOf('.') + 1);
      if (!Pattern.compile("(?m)^[\\s#]*(- )?" + Pattern.quote(key) + ":").matcher(example).find()) {
        missing.add(path);
      }
    }
    assertEquals(List.of(), missing, "keys the loader accepts that magi.example.yaml does not list");
  }

  @Test
  void theReferencePageDescribesNoKeyTheLoaderRefuses() throws Exception {
    String page = Files.readString(repositoryFile("docs/configuration.md"));
    Set<String> known = Set.copyOf(documentedPaths());
    List<String> unknown = new ArrayList<>();
    var row = Pattern.compile("(?m)^\\| `([a-z_\\[\\]<>.]+)` \\|").matcher(page);
    while (row.find()) {
      if (!known.contains(row.group(1))) {
        unknown.add(row.group(1));
      }
    }
    assertEquals(List.of(), unknown, "docs/configuration.md rows for keys the loader does not accept");
  }
}
