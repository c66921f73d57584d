package dev.magi.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class OllamaTagsTest {

  @Test
  void readsNamesDetailsAndTimes() {
    String body = "{\"models\":[{\"name\":\"llama3.2\",\"model\":\"llama3.2\",\"modified_at\":"
        + "\"2024-10-01T12:00:00.5-07:00\",\"size\":2019393189,\"digest\":\"a80c\",\"details\":{\"format\":\"gguf\","
        + "\"family\":\"llama\",\"parameter_size\":\"3.2B\",\"quantization_level\":\"Q4_K_M\"}},"
        + "{\"model\":\"nomic-embed-text:v1.5\",\"capabilities\":[\"embedding\"]},{\"size\":1}]}";

    List<OllamaModel> models = OllamaTags.parse(body.getBytes(StandardCharsets.UTF_8));

    assertEquals(2, models.size(), "an entry without a name is skipped");
    OllamaModel llama = models.get(0);
    assertEquals("llama3.2:latest", llama.name());
    assertEquals(Instant.parse("2024-10-01T19:00:00.5Z"), llama.modifiedAt());
    assertEquals("Q4_K_M", llama.quantization());
    assertEquals("3.2B", llama.parameterSize());
    assertTrue(models.get(1).isEmbeddingOnly());
  }

  @Test
  void refusesWhatIsNotAListing() {
    assertThrows(IllegalArgumentException.class, () -> OllamaTags.parse("<html>".getBytes()));
    assertThrows(IllegalArgumentException.class, () -> OllamaTags.parse("{\"models\":5}".getBytes()));
  }

  @Test
  void canonicalNamesCarryATag() {
    assertEquals("llama3.2:latest", OllamaModelName.canonical("llama3.2"));
    assertEquals("llama3.2:1b", OllamaModelName.canonical("llama3.2:1b"));
    assertEquals("registry.local:5000/team/model:latest", OllamaModelName.canonical("registry.local:5000/team/model"));
  }
}
