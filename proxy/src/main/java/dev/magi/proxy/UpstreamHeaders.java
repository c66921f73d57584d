package dev.magi.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.Arrays;

/**
 * The headers of one request to a backend, besides {@code Host} and {@code Content-Length}, which the
 * {@link UpstreamClient} adds: a few name and value pairs written straight to bytes. A request to a
 * backend carries four or five headers whose names are constants, so a header map (its hashing, its
 * entries, its encoder) would be all cost and no use on the path every request takes.
 *
 * <p>Names must be HTTP tokens and values printable ASCII (tabs allowed): anything else, a line
 * break above all, is refused with an {@link IllegalArgumentException}, so that no value can end the
 * head early or smuggle a header in.
 */
final class UpstreamHeaders {

  /** The two bytes of a line break, as one short. */
  static final int CRLF = ('\r' << 8) | '\n';
  private static final int COLON_SPACE = (':' << 8) | ' ';

  private String[] pairs = new String[10];
  private int size;

  /** Adds a header; a name given twice is sent twice. */
  UpstreamHeaders add(String name, String value) {
    if (!isToken(name)) {
      throw new IllegalArgumentException("not a header name: " + name);
    }
    if (!isPrintableAscii(value)) {
      throw new IllegalArgumentException("the value of header " + name + " is not printable ASCII");
    }
    if (size == pairs.length) {
      pairs = Arrays.copyOf(pairs, size * 2);
    }
    pairs[size++] = name;
    pairs[size++] = value;
    return this;
  }

  /** How many bytes {@link #writeTo} writes. */
  int encodedLength() {
    int length = 0;
    for (int i = 0; i < size; i += 2) {
      length += pairs[i].length() + 2 + pairs[i + 1].length() + 2;
    }
    return length;
  }

  /** Writes each header as {@code name: value} and a line break. */
  void writeTo(ByteBuf out) {
    for (int i = 0; i < size; i += 2) {
      ByteBufUtil.writeAscii(out, pairs[i]);
      out.writeShort(COLON_SPACE);
      ByteBufUtil.writeAscii(out, pairs[i + 1]);
      out.writeShort(CRLF);
    }
  }

  private static boolean isToken(String name) {
    if (name == null || name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean token = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!token) {
        return false;
      }
    }
    return true;
  }

  static boolean isPrintableAscii(String value) {
    if (value == null) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c > 0x7e) {
        return false;
      }
    }
    return true;
  }
}
