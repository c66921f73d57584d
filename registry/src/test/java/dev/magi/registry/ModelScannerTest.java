package dev.magi.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.GgufWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelScannerTest {

  @TempDir
  Path dir;

  private List<ModelEntry> scan(Map<String, ModelSettings> settings) throws Exception {
    return new ModelScanner(dir.resolve("models"), settings, LaunchSettings.DEFAULTS).scan();
  }

  private ModelEntry find(List<ModelEntry> entries, String id) {
    return entries.stream().filter(e -> e.id().equals(id)).findFirst().orElseThrow(() -> new AssertionError(id));
  }

  @Test
  void findsModelsRecursivelyByFileStem() throws Exception {
    GgufWriter.chatModel("q", 10).write(dir.resolve("models/Qwen2-0.5B-Q4.gguf"));
    GgufWriter.embeddingModel("e").write(dir.resolve("models/embed/nomic-embed.gguf"));
    Files.writeString(dir.resolve("models/README.txt"), "not a model");

    List<ModelEntry> entries = scan(Map.of());

    assertEquals(List.of("Qwen2-0.5B-Q4", "nomic-embed"), entries.stream().map(ModelEntry::id).toList());
    ModelEntry qwen = find(entries, "Qwen2-0.5B-Q4");
    assertTrue(qwen.valid());
    assertEquals(ModelKind.CHAT, qwen.kind());
    assertEquals("Q4_K_M", qwen.metadata().orElseThrow().quantization());
    assertEquals(ModelKind.EMBEDDING, find(entries, "nomic-embed").kind());
    assertEquals("embed/nomic-embed.gguf", find(entries, "nomic-embed").file());
  }

  @Test
  void rerankersAreToldByTheirPoolingOrByConfiguration() throws Exception {
    GgufWriter.rerankModel("r").write(dir.resolve("models/bge-reranker.gguf"));
    GgufWriter.chatModel("c", 10).write(dir.resolve("models/configured.gguf"));

    List<ModelEntry> entries = scan(Map.of("configured", new ModelSettings(Optional.empty(), List.of(),
        dev.magi.registry.LaunchSettings.DEFAULTS, false, Optional.of(ModelKind.RERANK))));

    assertEquals(ModelKind.RERANK, find(entries, "bge-reranker").kind());
    assertEquals(ModelKind.RERANK, find(entries, "configured").kind());
  }

  @Test
  void splitModelsAreListedOnceWithAllPartsCounted() throws Exception {
    Path first = GgufWriter.chatModel("big", 10).write(dir.resolve("models/big-00001-of-00002.gguf"));
    Path second = GgufWriter.v3().filler(5000).write(dir.resolve("models/big-00002-of-00002.gguf"));
    GgufWriter.chatModel("broken", 10).write(dir.resolve("models/broken-00001-of-00003.gguf"));

    List<ModelEntry> entries = scan(Map.of());

    ModelEntry big = find(entries, "big");
    assertEquals(2, big.parts());
    assertEquals(Files.size(first) + Files.size(second), big.sizeBytes());
    assertEquals("split model is missing part 2 of 3", find(entries, "broken").invalidReason().orElseThrow());
    assertEquals(2, entries.size());
  }

  @Test
  void mmprojFilesAreRememberedBesideTheirModel() throws Exception {
    GgufWriter.chatModel("llava", 10).write(dir.resolve("models/llava/llava-7b.gguf"));
    Path projector = GgufWriter.v3().write(dir.resolve("models/llava/mmproj-model-f16.gguf"));

    List<ModelEntry> entries = scan(Map.of());

    assertEquals(1, entries.size());
    assertEquals(projector.toRealPath(), entries.get(0).mmproj().orElseThrow());
  }

  @Test
  void corruptFilesAreListedAsInvalidAndTheScanGoesOn() throws Exception {
    GgufWriter.chatModel("ok", 10).write(dir.resolve("models/ok.gguf"));
    GgufWriter.chatModel("cut", 1000).writeTruncated(dir.resolve("models/cut.gguf"), 200);
    Files.writeString(dir.resolve("models/text.gguf"), "hello");

    List<ModelEntry> entries = scan(Map.of());

    assertTrue(find(entries, "ok").valid());
    assertFalse(find(entries, "cut").valid());
    assertEquals("not a GGUF file (wrong magic number)", find(entries, "text").invalidReason().orElseThrow());
  }

  @Test
  void symlinksLeavingTheModelsDirectoryAreRefused() throws Exception {
    Path outside = GgufWriter.chatModel("secret", 10).write(dir.resolve("elsewhere/secret.gguf"));
    Files.createDirectories(dir.resolve("models"));
    Files.createSymbolicLink(dir.resolve("models/secret.gguf"), outside);
    Files.createSymbolicLink(dir.resolve("models/linked-dir"), dir.resolve("elsewhere"));
    Path inside = GgufWriter.chatModel("fine", 10).write(dir.resolve("models/real/fine.gguf"));
    Files.createSymbolicLink(dir.resolve("models/alias.gguf"), inside);

    List<ModelEntry> entries = scan(Map.of());

    assertEquals("refused: a symlink leads outside the models directory",
        find(entries, "secret").invalidReason().orElseThrow());
    assertTrue(find(entries, "fine").valid());
    assertEquals(3, entries.size(), "secret (refused), fine, and alias (a link inside); linked-dir is skipped");
  }

  @Test
  void configurationGivesIdsAliasesAndLaunchSettings() throws Exception {
    GgufWriter.chatModel("q", 10).write(dir.resolve("models/Qwen2-0.5B-Q4.gguf"));
    LaunchSettings launch = new LaunchSettings(8192, 4, 99, List.of("--flash-attn", "on"));

    ModelEntry entry = scan(Map.of("Qwen2-0.5B-Q4",
        new ModelSettings(Optional.of("qwen-0.5b"), List.of("qwen"), launch, true))).get(0);

    assertEquals("qwen-0.5b", entry.id());
    assertEquals(List.of("qwen"), entry.aliases());
    assertEquals(launch, entry.launch());
    // 2 (K,V) x 2 layers x 32768 tokens x 64 wide x 2 bytes, plus the file and 64 MiB.
    assertEquals(entry.sizeBytes() + 2L * 2 * 32768 * 64 * 2 + (64L << 20), entry.memoryEstimateBytes());
  }

  @Test
  void contextNotConfiguredIsTheDefaultCappedByWhatTheModelWasTrainedFor() throws Exception {
    GgufWriter.chatModel("q", 10).write(dir.resolve("models/trained-2048.gguf"));
    GgufWriter.chatModel("q", 10).write(dir.resolve("models/configured.gguf"));
    LaunchSettings big = new LaunchSettings(8192, 2, -1, List.of());

    List<ModelEntry> entries = scan(Map.of(
        "trained-2048", new ModelSettings(Optional.empty(), List.of(), big, false),
        "configured", new ModelSettings(Optional.empty(), List.of(), big, true)));

    assertEquals(2048, find(entries, "trained-2048").launch().context(), "capped by llama.context_length");
    assertEquals(8192, find(entries, "configured").launch().context(), "a configured context is used as it is");
    // The estimate follows the context it will run with.
    assertEquals(find(entries, "trained-2048").sizeBytes() + 2L * 2 * 4096 * 64 * 2 + (64L << 20),
        find(entries, "trained-2048").memoryEstimateBytes());
  }

  @Test
  void missingDirectoryIsAnEmptyCatalogue() throws Exception {
    assertEquals(List.of(), scan(Map.of()));
  }

  @Test
  void catalogueIsSavedAtomicallyAsJson() throws Exception {
    GgufWriter.chatModel("q", 10).write(dir.resolve("models/tiny.gguf"));
    Catalog catalog = new Catalog(scan(Map.of()), Instant.parse("2026-11-22T08:00:00Z"));
    Path file = dir.resolve("data/model_registry.json");

    CatalogJson.save(catalog, file);

    JsonNode saved = new ObjectMapper().readTree(file.toFile());
    assertEquals(1, saved.get("total").asInt());
    assertEquals("2026-11-22T08:00:00Z", saved.get("updated_at").asText());
    assertEquals("tiny", saved.at("/models/0/id").asText());
    assertEquals("llama", saved.at("/models/0/gguf/architecture").asText());
    try (var files = Files.list(dir.resolve("data"))) {
      assertEquals(1, files.count(), "no temporary file is left behind");
    }
  }
}
