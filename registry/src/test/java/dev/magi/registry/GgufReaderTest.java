package dev.magi.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.GgufWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufReaderTest {

  @TempDir
  Path dir;

  @Test
  void readsTheHeaderOfAChatModelAndSkipsItsVocabulary() throws Exception {
    Path file = GgufWriter.chatModel("Tiny Llama", 50_000).write(dir.resolve("tiny.gguf"));

    GgufMetadata meta = GgufReader.read(file);

    assertEquals(3, meta.version());
    assertEquals("llama", meta.architecture());
    assertEquals("Tiny Llama", meta.name());
    assertEquals("4M", meta.sizeLabel());
    assertEquals("Q4_K_M", meta.quantization());
    assertEquals(2048, meta.contextLength());
    assertEquals(2, meta.blockCount());
    assertEquals(64, meta.embeddingLength());
    assertEquals(4, meta.headCount());
    assertEquals(4, meta.headCountKv());
    assertEquals(-1, meta.poolingType());
    assertTrue(meta.hasChatTemplate());
    assertFalse(meta.isEmbedding());
  }

  @Test
  void readsVersion2AndPoolingOfEmbeddingModels() throws Exception {
    Path v2 = GgufWriter.version(2).string("general.architecture", "qwen2").u32("general.file_type", 7)
        .u32("qwen2.attention.head_count", 14).write(dir.resolve("v2.gguf"));
    Path embed = GgufWriter.embeddingModel("embed").write(dir.resolve("embed.gguf"));

    GgufMetadata old = GgufReader.read(v2);
    assertEquals(2, old.version());
    assertEquals("Q8_0", old.quantization());
    assertEquals(14, old.headCountKv(), "head_count_kv defaults to head_count");
    assertFalse(old.hasChatTemplate());

    GgufMetadata pooled = GgufReader.read(embed);
    assertTrue(pooled.isEmbedding());
    assertEquals("mean", pooled.poolingName());
  }

  @Test
  void truncatedFileIsRefusedWithItsPosition() throws Exception {
    Path file = GgufWriter.chatModel("t", 100).writeTruncated(dir.resolve("cut.gguf"), 300);

    GgufException error = assertThrows(GgufException.class, () -> GgufReader.read(file));
    assertTrue(error.getMessage().contains("more than the file has left") || error.getMessage().contains("truncated"),
        error.getMessage());
  }

  @Test
  void absurdLengthsAreRefusedWithoutAllocating() throws Exception {
    Path hugeString = GgufWriter.v3().stringWithDeclaredLength("general.name", Long.MAX_VALUE / 2, 16)
        .write(dir.resolve("string.gguf"));
    Path hugeArray = GgufWriter.v3().arrayWithDeclaredLength("tokenizer.ggml.token_type", 1L << 60)
        .write(dir.resolve("array.gguf"));
    Path negative = GgufWriter.v3().stringWithDeclaredLength("general.name", -1, 16).write(dir.resolve("neg.gguf"));
    Path hugeCount = GgufWriter.v3().tensorCount(-1).write(dir.resolve("count.gguf"));

    assertTrue(assertThrows(GgufException.class, () -> GgufReader.read(hugeString)).getMessage()
        .contains("declares"));
    assertTrue(assertThrows(GgufException.class, () -> GgufReader.read(hugeArray)).getMessage()
        .contains("more than the file holds"));
    assertTrue(assertThrows(GgufException.class, () -> GgufReader.read(negative)).getMessage().contains("absurd"));
    assertTrue(assertThrows(GgufException.class, () -> GgufReader.read(hugeCount)).getMessage().contains("absurd"));
  }

  @Test
  void otherFormatsAndVersionsAreRefused() throws Exception {
    Path notGguf = GgufWriter.v3().magic(0x12345678).write(dir.resolve("x.gguf"));
    Path v1 = GgufWriter.version(1).write(dir.resolve("v1.gguf"));
    Path empty = java.nio.file.Files.write(dir.resolve("empty.gguf"), new byte[0]);

    assertEquals("not a GGUF file (wrong magic number)",
        assertThrows(GgufException.class, () -> GgufReader.read(notGguf)).getMessage());
    assertTrue(assertThrows(GgufException.class, () -> GgufReader.read(v1)).getMessage()
        .startsWith("unsupported GGUF version 1"));
    assertEquals("not a GGUF file (wrong magic number)",
        assertThrows(GgufException.class, () -> GgufReader.read(empty)).getMessage());
  }
}
