package dev.magi.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/**
 * Buffered little-endian reads over a file channel, with skips that seek instead of reading.
 * Every read is checked against the file's size, so a declared length can never make it read past
 * the end or allocate more than the caller allows.
 */
final class LittleEndianInput {

  private static final int BUFFER_BYTES = 64 * 1024;

  private final FileChannel channel;
  private final long size;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  /** File offset of {@code buffer.position()}. */
  private long position;

  LittleEndianInput(FileChannel channel) throws IOException {
    this.channel = channel;
    this.size = channel.size();
    buffer.limit(0);
  }

  long position() {
    return position;
  }

  long remaining() {
    return size - position;
  }

  private void require(int bytes) throws IOException {
    if (buffer.remaining() >= bytes) {
      return;
    }
    if (remaining() < bytes) {
      throw new GgufException("truncated at byte " + position + " (needs " + bytes + " more bytes, file has "
          + size + ")");
    }
    buffer.compact();
    channel.position(position + buffer.position());
    while (buffer.position() < bytes) {
      if (channel.read(buffer) < 0) {
        throw new GgufException("truncated at byte " + position);
      }
    }
    buffer.flip();
  }

  int u32() throws IOException {
    require(4);
    position += 4;
    return buffer.getInt();
  }

  /** An unsigned 64-bit value; values that do not fit a signed long are absurd for any count or length. */
  long u64(String what) throws IOException {
    require(8);
    position += 8;
    long value = buffer.getLong();
    if (value < 0) {
      throw new GgufException(what + " at byte " + (position - 8) + " is absurd (" + Long.toUnsignedString(value) + ")");
    }
    return value;
  }

  long i64() throws IOException {
    require(8);
    position += 8;
    return buffer.getLong();
  }

  int u8() throws IOException {
    require(1);
    position += 1;
    return buffer.get() & 0xff;
  }

  int u16() throws IOException {
    require(2);
    position += 2;
    return buffer.getShort() & 0xffff;
  }

  float f32() throws IOException {
    require(4);
    position += 4;
    return buffer.getFloat();
  }

  double f64() throws IOException {
    require(8);
    position += 8;
    return buffer.getDouble();
  }

  /** A string of {@code length} bytes; refuses lengths over {@code max} or past the end of the file. */
  String string(long length, long max, String what) throws IOException {
    if (length > max) {
      throw new GgufException(what + " at byte " + position + " declares " + length + " bytes (limit " + max + ")");
    }
    if (length > remaining()) {
      throw new GgufException(what + " at byte " + position + " declares " + length
          + " bytes, more than the file has left");
    }
    byte[] bytes = new byte[(int) length];
    int done = 0;
    while (done < bytes.length) {
      require(1);
      int take = Math.min(buffer.remaining(), bytes.length - done);
      buffer.get(bytes, done, take);
      done += take;
      position += take;
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Moves past {@code bytes} bytes without reading them. */
  void skip(long bytes, String what) throws IOException {
    if (bytes < 0 || bytes > remaining()) {
      throw new GgufException(what + " at byte " + position + " declares " + bytes
          + " bytes, more than the file has left");
    }
    if (bytes <= buffer.remaining()) {
      buffer.position(buffer.position() + (int) bytes);
    } else {
      buffer.limit(0);
      channel.position(position + bytes);
    }
    position += bytes;
  }
}
