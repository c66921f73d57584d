package dev.magi.registry;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the metadata of a GGUF file (versions 2 and 3, little-endian) without loading it: the
 * key-value section is walked, wanted scalars are kept, and everything else (vocabularies of 150,000
 * strings, merges, scores) is skipped by seeking. Memory use is bounded whatever the file declares.
 * Blocking: call it from a worker thread.
 */
public final class GgufReader {

  /** {@code "GGUF"} read as a little-endian 32-bit number. */
  static final int MAGIC = 0x46554747;
  /** Longest key accepted. */
  static final long MAX_KEY_BYTES = 64 * 1024;
  /** Longest string value read into memory (chat templates are tens of kilobytes). */
  static final long MAX_STRING_BYTES = 4L << 20;
  /** Most key-value pairs accepted; real files have tens. */
  static final long MAX_KEY_VALUES = 1L << 20;
  /** Deepest nesting of arrays accepted. */
  static final int MAX_ARRAY_DEPTH = 3;

  private static final int UINT8 = 0;
  private static final int INT8 = 1;
  private static final int UINT16 = 2;
  private static final int INT16 = 3;
  private static final int UINT32 = 4;
  private static final int INT32 = 5;
  private static final int FLOAT32 = 6;
  private static final int BOOL = 7;
  private static final int STRING = 8;
  private static final int ARRAY = 9;
  private static final int UINT64 = 10;
  private static final int INT64 = 11;
  private static final int FLOAT64 = 12;

  private GgufReader() {
  }

  /**
   * Reads the header of {@code file}.
   *
   * @throws GgufException when the file is not GGUF, is of an unsupported version, is truncated or
   *     declares absurd lengths; the message says which, and where
   * @throws IOException when the file cannot be read at all
   */
  public static GgufMetadata read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      LittleEndianInput in = new LittleEndianInput(channel);
      if (in.remaining() < 4 || in.u32() != MAGIC) {
        throw new GgufException("not a GGUF file (wrong magic number)");
      }
      int version = in.u32();
      if (version != 2 && version != 3) {
        throw new GgufException("unsupported GGUF version " + Integer.toUnsignedString(version)
            + " (2 and 3 are supported)");
      }
      long tensors = in.u64("tensor count");
      long count = in.u64("key-value count");
      if (count > MAX_KEY_VALUES) {
        throw new GgufException("declares " + count + " key-value pairs (limit " + MAX_KEY_VALUES + ")");
      }
      Map<String, Object> values = new HashMap<>();
      for (long i = 0; i < count; i++) {
        String key = in.string(in.u64("key length"), MAX_KEY_BYTES, "key");
        int type = in.u32();
        Object value = value(in, type, key, wanted(key), 0);
        if (value != null) {
          values.put(key, value);
        }
      }
      return metadata(version, tensors, values);
    }
  }

  /** Keys whose values are kept: general.*, the per-architecture sizes, and the chat template's presence. */
  private static boolean wanted(String key) {
    return key.startsWith("general.") || key.endsWith(".context_length") || key.endsWith(".block_count")
        || key.endsWith(".embedding_length") || key.endsWith(".attention.head_count")
        || key.endsWith(".attention.head_count_kv") || key.endsWith(".pooling_type")
        || key.equals("tokenizer.chat_template");
  }

  /** Reads (when {@code keep}) or skips one value; returns null for skipped values and arrays. */
  private static Object value(LittleEndianInput in, int type, String key, boolean keep, int depth)
      throws IOException {
    switch (type) {
      case UINT8, INT8, BOOL -> {
        int v = in.u8();
        return type == INT8 ? (long) (byte) v : type == BOOL ? (Object) (v != 0) : (long) v;
      }
      case UINT16, INT16 -> {
        int v = in.u16();
        return type == INT16 ? (long) (short) v : (long) v;
      }
      case UINT32 -> {
        return Integer.toUnsignedLong(in.u32());
      }
      case INT32 -> {
        return (long) in.u32();
      }
      case UINT64, INT64 -> {
        return in.i64();
      }
      case FLOAT32 -> {
        return (double) in.f32();
      }
      case FLOAT64 -> {
        return in.f64();
      }
      case STRING -> {
        long length = in.u64("string length");
        if (key.equals("tokenizer.chat_template")) {
          in.skip(length, "value of " + key);
          return Boolean.TRUE;
        }
        if (keep) {
          return in.string(length, MAX_STRING_BYTES, "value of " + key);
        }
        in.skip(length, "value of " + key);
        return null;
      }
      case ARRAY -> {
        skipArray(in, key, depth);
        return null;
      }
      default -> throw new GgufException("value of " + key + " has unknown type " + Integer.toUnsignedString(type)
          + " at byte " + (in.position() - 4));
    }
  }

  private static void skipArray(LittleEndianInput in, String key, int depth) throws IOException {
    if (depth >= MAX_ARRAY_DEPTH) {
      throw new GgufException("arrays in " + key + " are nested deeper than " + MAX_ARRAY_DEPTH);
    }
    int elementType = in.u32();
    long count = in.u64("array length of " + key);
    long width = switch (elementType) {
      case UINT8, INT8, BOOL -> 1;
      case UINT16, INT16 -> 2;
      case UINT32, INT32, FLOAT32 -> 4;
      case UINT64, INT64, FLOAT64 -> 8;
      default -> 0;
    };
    if (width > 0) {
      if (count > in.remaining() / width) {
        throw new GgufException("array " + key + " declares " + count + " elements, more than the file holds");
      }
      in.skip(count * width, "array " + key);
      return;
    }
    // Strings and nested arrays take at least 8 bytes each: a count beyond that cannot be real.
    if (count > in.remaining() / 8) {
      throw new GgufException("array " + key + " declares " + count + " elements, more than the file holds");
    }
    for (long i = 0; i < count; i++) {
      if (elementType == STRING) {
        in.skip(in.u64("string length in " + key), "string in " + key);
      } else if (elementType == ARRAY) {
        skipArray(in, key, depth + 1);
      } else {
        throw new GgufException("array " + key + " has unknown element type " + Integer.toUnsignedString(elementType));
      }
    }
  }

  private static GgufMetadata metadata(int version, long tensors, Map<String, Object> values) {
    String arch = text(values, "general.architecture");
    long headCount = number(values, arch + ".attention.head_count");
    long headCountKv = number(values, arch + ".attention.head_count_kv");
    Object pooling = values.get(arch + ".pooling_type");
    return new GgufMetadata(version, tensors, arch, text(values, "general.name"),
        text(values, "general.size_label"),
        values.containsKey("general.file_type") ? FileTypes.name((int) number(values, "general.file_type")) : "",
        number(values, arch + ".context_length"), number(values, arch + ".block_count"),
        number(values, arch + ".embedding_length"), headCount, headCountKv > 0 ? headCountKv : headCount,
        pooling instanceof Long p ? p.intValue() : -1, values.containsKey("tokenizer.chat_template"));
  }

  private static String text(Map<String, Object> values, String key) {
    return values.get(key) instanceof String s ? s : "";
  }

  private static long number(Map<String, Object> values, String key) {
    Object value = values.get(key);
    return value instanceof Long l ? l : value instanceof Double d ? d.longValue() : 0;
  }
}
