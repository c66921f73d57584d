package dev.magi.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ChildEnvironmentTest {

  @Test
  void onlyAllowListedVariablesPassAndConfiguredOnesAreAdded() {
    Map<String, String> inherited = Map.of("PATH", "/usr/bin", "HOME", "/root", "LC_ALL", "C", "CUDA_VISIBLE_DEVICES",
        "1", "ROCR_VISIBLE_DEVICES", "0", "MAGI_ADMIN_TOKEN", "x", "DATABASE_URL", "postgresql://u:p@h/db",
        "PGPASSWORD", "p", "AWS_SECRET_ACCESS_KEY", "k", "LLAMA_CACHE", "/cache");
    Map<String, String> env = ChildEnvironment.of(inherited, Map.of("LLAMA_ARG_THREADS", "4", "PATH", "/opt/bin"));
    assertEquals(Map.of("PATH", "/opt/bin", "HOME", "/root", "LC_ALL", "C", "CUDA_VISIBLE_DEVICES", "1",
        "ROCR_VISIBLE_DEVICES", "0", "LLAMA_CACHE", "/cache", "LLAMA_ARG_THREADS", "4"), env);
  }
}
