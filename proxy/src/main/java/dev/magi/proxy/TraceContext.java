package dev.magi.proxy;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A client's W3C trace context ({@code traceparent}, {@code tracestate}), carried on to backends so
 * that their work joins the client's trace: the same trace id and flags, and a new span id for the
 * hop through Magi. Only a well-formed {@code traceparent} of version {@code 00} is taken (W3C Trace
 * Context, level 1); anything else is dropped, never passed on.
 *
 * @param traceId 32 lower-case hex digits, not all zero
 * @param flags 2 hex digits
 * @param state the client's {@code tracestate}, passed on as it came (bounded, visible ASCII); null
 *     when there was none or it was unusable
 */
public record TraceContext(String traceId, String flags, String state) {

  /** Longest {@code tracestate} passed on: 32 members of W3C's size, with room. */
  static final int MAX_STATE_LENGTH = 512;

  /**
   * The trace context of a request's headers, or null when {@code traceparent} is absent or not
   * well-formed.
   */
  public static TraceContext parse(String traceparent, String tracestate) {
    if (traceparent == null || traceparent.length() != 55 || !traceparent.startsWith("00-")
        || traceparent.charAt(35) != '-' || traceparent.charAt(52) != '-') {
      return null;
    }
    String traceId = traceparent.substring(3, 35);
    String parent = traceparent.substring(36, 52);
    String flags = traceparent.substring(53, 55);
    if (!isHex(traceId) || !isHex(parent) || !isHex(flags) || allZero(traceId) || allZero(parent)) {
      return null;
    }
    String state = tracestate != null && tracestate.length() <= MAX_STATE_LENGTH
        && dev.magi.router.Endpoint.isVisibleAscii(tracestate.replace(' ', '!')) ? tracestate : null;
    return new TraceContext(traceId, flags, state);
  }

  /** A {@code traceparent} for the hop to a backend: this trace, a new span id. */
  String childHeader() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long span;
    do {
      span = random.nextLong();
    } while (span == 0);
    return "00-" + traceId + "-" + HexFormat.of().toHexDigits(span) + "-" + flags;
  }

  private static boolean isHex(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  private static boolean allZero(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }
}
