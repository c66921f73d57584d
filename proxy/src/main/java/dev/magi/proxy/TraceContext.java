package dev.magi.proxy;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A request's W3C trace context, carried on to backends so that their work joins the trace: the same
 * trace id and flags, and for each hop to a backend a span id of its own. It comes from the client's
 * {@code traceparent} and {@code tracestate} ({@link #parse}: only a well-formed one of version
 * {@code 00}, W3C Trace Context level 1; anything else is dropped, never passed on), or from the
 * gateway's own trace ({@link #of}).
 *
 * <p>The span id of the next hop is random unless whoever traces the request names it first
 * ({@link #nextHop}), from {@link ExchangeObserver#sent}, which is heard before the hop's request is
 * written. Confined to the request's event loop.
 */
public final class TraceContext {

  /** Longest {@code tracestate} passed on: 32 members of W3C's size, with room. */
  static final int MAX_STATE_LENGTH = 512;

  private final String traceId;
  private final String flags;
  private final String state;
  /** The client's span id, null for a context of the gateway's own. */
  private final String parentSpanId;
  private String nextHop;

  private TraceContext(String traceId, String parentSpanId, String flags, String state) {
    this.traceId = traceId;
    this.parentSpanId = parentSpanId;
    this.flags = flags;
    this.state = state;
  }

  /**
   * A context of the gateway's own.
   *
   * @param traceId 32 lower-case hex digits
   * @param sampled whether the trace is recorded
   * @param state the {@code tracestate} to pass on, null for none
   */
  public static TraceContext of(String traceId, boolean sampled, String state) {
    return new TraceContext(traceId, null, sampled ? "01" : "00", state);
  }

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
    return new TraceContext(traceId, parent, flags, usableState(tracestate));
  }

  /** {@code tracestate} when it may be passed on (bounded, visible ASCII and spaces), else null. */
  public static String usableState(String tracestate) {
    return tracestate != null && tracestate.length() <= MAX_STATE_LENGTH
        && dev.magi.router.Endpoint.isVisibleAscii(tracestate.replace(' ', '!')) ? tracestate : null;
  }

  /** 32 hex digits. */
  public String traceId() {
    return traceId;
  }

  /** The client's span id, null for a context of the gateway's own. */
  public String parentSpanId() {
    return parentSpanId;
  }

  /** Whether the trace is recorded (the sampled flag). */
  public boolean sampled() {
    return (Integer.parseInt(flags, 16) & 1) == 1;
  }

  /** The {@code tracestate} passed on, null for none. */
  public String state() {
    return state;
  }

  /** Names the span id (16 hex digits) of the next hop to a backend. */
  public void nextHop(String spanId) {
    nextHop = spanId;
  }

  /** A {@code traceparent} for a hop to a backend: this trace, the named span id or a new one. */
  String childHeader() {
    String span = nextHop;
    nextHop = null;
    if (span == null) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      long id;
      do {
        id = random.nextLong();
      } while (id == 0);
      span = HexFormat.of().toHexDigits(id);
    }
    return "00-" + traceId + "-" + span + "-" + flags;
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
