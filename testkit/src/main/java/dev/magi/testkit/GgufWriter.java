package dev.magi.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes GGUF files for tests: a header with chosen key-value pairs (as llama.cpp's {@code gguf-py}
 * lays them out), then filler bytes standing for tensor data. Corrupt files are made by cutting the
 * bytes short or by declaring absurd lengths with the raw writers.
 */
public final class GgufWriter {

  private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
  private final int version;
  private int count;
  private long tensorCount = 1;
  private int fillerBytes = 1024;
  private int magic = 0x46554747;

  private GgufWriter(int version) {
    this.version = version;
  }

  /** A version 3 file (what current llama.cpp writes). */
  public static GgufWriter v3() {
    return new GgufWriter(3);
  }

  /** A file of any version number, e.g. 2, or an unsupported 1. */
  public static GgufWriter version(int version) {
    return new GgufWriter(version);
  }

  /**
   * A typical chat model header: llama architecture, Q4_K_M, 2048 context, 2 layers, 64-wide, 4 heads,
   * a chat template, and a vocabulary of {@code vocabulary} strings.
   */
  public static GgufWriter chatModel(String name, int vocabulary) {
    GgufWriter writer = v3().string("general.architecture", "llama").string("general.name", name)
        .string("general.size_label", "4M").u32("general.file_type", 15).u32("llama.context_length", 2048)
        .u32("llama.block_count", 2).u32("llama.embedding_length", 64).u32("llama.attention.head_count", 4)
        .u32("llama.attention.head_count_kv", 4).f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    String[] tokens = new String[vocabulary];
    for (int i = 0; i < vocabulary; i++) {
      tokens[i] = "tok" + i;
    }
    return writer.stringArray("tokenizer.ggml.tokens", List.of(tokens)).f32Array("tokenizer.ggml.scores", vocabulary)
        .string("tokenizer.chat_template", "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}"
            + "<|im_end|>\n{% endfor %}");
  }

  /** The chat model header with {@code llama.pooling_type} = MEAN, as an embedding model. */
  public static GgufWriter embeddingModel(String name) {
    return chatModel(name, 16).u32("llama.pooling_type", 1);
  }

  /** The chat model header with {@code llama.pooling_type} = RANK, as a reranker. */
  public static GgufWriter rerankModel(String name) {
    return chatModel(name, 16).u32("llama.pooling_type", 4);
  }

  /** Replaces the magic number (to write something that is not GGUF). */
  public GgufWriter magic(int magic) {
    this.magic = magic;
    return this;
  }

  /** The declared number of tensors. */
  public GgufWriter tensorCount(long count) {
    this.tensorCount = count;
    return this;
  }

  /** Bytes after the header, standing for tensor data. */
  public GgufWriter filler(int bytes) {
    this.fillerBytes = bytes;
    return this;
  }

  public GgufWriter string(String key, String value) {
    key(key, 8);
    str(value);
    return this;
  }

  public GgufWriter u32(String key, int value) {
    key(key, 4);
    int32(value);
    return this;
  }

  public GgufWriter u64(String key, long value) {
    key(key, 10);
    int64(value);
    return this;
  }

  public GgufWriter f32(String key, float value) {
    key(key, 6);
    int32(Float.floatToIntBits(value));
    return this;
  }

  public GgufWriter bool(String key, boolean value) {
    key(key, 7);
    kv.write(value ? 1 : 0);
    return this;
  }

  public GgufWriter stringArray(String key, List<String> values) {
    key(key, 9);
    int32(8);
    int64(values.size());
    values.forEach(this::str);
    return this;
  }

  public GgufWriter f32Array(String key, int length) {
    key(key, 9);
    int32(6);
    int64(length);
    kv.writeBytes(new byte[length * 4]);
    return this;
  }

  /** A string value whose declared length is {@code declared}, followed by only {@code actual} bytes. */
  public GgufWriter stringWithDeclaredLength(String key, long declared, int actual) {
    key(key, 8);
    int64(declared);
    kv.writeBytes(new byte[actual]);
    return this;
  }

  /** An array of u32 whose declared length is {@code declared}, with no elements written. */
  public GgufWriter arrayWithDeclaredLength(String key, long declared) {
    key(key, 9);
    int32(4);
    int64(declared);
    return this;
  }

  /** The whole file. */
  public byte[] bytes() {
    ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    header.putInt(magic).putInt(version).putLong(tensorCount).putLong(count);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header.array());
    out.writeBytes(kv.toByteArray());
    out.writeBytes(new byte[fillerBytes]);
    return out.toByteArray();
  }

  /** Writes the file, creating folders as needed. */
  public Path write(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    return Files.write(file, bytes());
  }

  /** Writes only the first {@code length} bytes of the file. */
  public Path writeTruncated(Path file, int length) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    byte[] all = bytes();
    return Files.write(file, java.util.Arrays.copyOf(all, Math.min(length, all.length)));
  }

  private void key(String key, int type) {
    count++;
    str(key);
    int32(type);
  }

  private void str(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    int64(bytes.length);
    kv.writeBytes(bytes);
  }

  private void int32(int value) {
    kv.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
  }

  private void int64(long value) {
    kv.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
  }
}
