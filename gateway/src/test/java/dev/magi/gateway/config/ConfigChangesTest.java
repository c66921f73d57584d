package dev.magi.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a reload changes, and what it keeps, decided from two configurations alone. */
class ConfigChangesTest {

  private static MagiConfig yaml(String text) {
    return ConfigLoader.fromYaml(text, Map.of());
  }

  private static final String TWO = "backends:\n  - model: a\n    url: http://127.0.0.1:1\n"
      + "  - model: b\n    url: http://127.0.0.1:2\n";

  @Test
  void theSameFileChangesNothing() {
    MagiConfig before = yaml(TWO);
    assertTrue(ConfigChanges.between(before, ConfigChanges.keepEndpoints(before, yaml(TWO))).none());
  }

  @Test
  void backendsAreNamedAndWhatOnlyARestartAppliesIsSaidSo() {
    MagiConfig before = yaml(TWO);
    MagiConfig after = ConfigChanges.keepEndpoints(before, yaml("server:\n  port: 9000\nlimits:\n  max_tokens: 8\n"
        + "models:\n  memory_budget: 8GiB\n  dir: elsewhere\n"
        + "backends:\n  - model: a\n    url: http://127.0.0.1:1\n  - model: c\n    url: http://127.0.0.1:3\n"));

    ConfigChanges changes = ConfigChanges.between(before, after);

    assertEquals(List.of("limits", "backends (added c; removed b)", "models.memory_budget"), changes.applied());
    assertEquals(List.of("server", "models (directory, ports, launch settings, preload)"), changes.restartRequired());
  }

  @Test
  void anUnchangedBackendKeepsItsEndpointAndItsHealth() {
    MagiConfig before = yaml(TWO);
    MagiConfig after = ConfigChanges.keepEndpoints(before, yaml(TWO.replace("model: b", "model: b\n    aliases: [bee]")));

    assertSame(before.backends().get(0).endpoint(), after.backends().get(0).endpoint());
    assertSame(before.backends().get(1).endpoint(), after.backends().get(1).endpoint());
    assertEquals(List.of("backends (changed b)"), ConfigChanges.between(before, after).applied());
  }
}
