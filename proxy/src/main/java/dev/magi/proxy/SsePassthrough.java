package dev.magi.proxy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Passes an OpenAI-style SSE stream through without re-encoding: bytes go out as they came, cut only
 * at event boundaries (a blank line), so the client never holds half an event when the backend fails.
 * Also notes whether the stream ended properly ({@code data: [DONE]} or an error event).
 */
final class SsePassthrough implements StreamTranslator {

  private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ERROR = "{\"error\"".getBytes(StandardCharsets.US_ASCII);

  private final int maxEventBytes;
  private Buffer pending;
  private boolean sawEvent;
  private boolean terminal;
  /** The last data event of the last piece, where a stream's counts are when [DONE] comes alone. */
  private ByteView lastData;
  private int lastDataStart;
  private int lastDataEnd;
  private TokenCounts tokens;
  private final boolean stripUsage;
  /** The bytes of this piece to leave out (the usage chunk), {@code cutStart} -1 when none. */
  private int cutStart = -1;
  private int cutEnd;

  /** @param maxEventBytes longest single event accepted; a longer one fails the stream */
  SsePassthrough(int maxEventBytes) {
    this(maxEventBytes, false);
  }

  /**
   * @param stripUsage whether the stream's usage chunk is removed: Magi asked for it (for its metrics)
   *     where the client did not
   */
  SsePassthrough(int maxEventBytes, boolean stripUsage) {
    this.maxEventBytes = maxEventBytes;
    this.stripUsage = stripUsage;
  }

  @Override
  public Buffer push(Buffer piece) {
    Buffer data = pending == null ? piece : pending.appendBuffer(piece);
    ByteView bytes = ByteView.of(data);
    int end = lastBoundary(bytes);
    if (end < 0) {
      pending = data.copy();
      checkPendingSize();
      return Buffer.buffer();
    }
    Buffer out = end == data.length() ? data : data.slice(0, end);
    pending = end == data.length() ? null : data.getBuffer(end, data.length());
    checkPendingSize();
    inspectLastEvent(bytes, end);
    if (cutStart >= 0) {
      Buffer kept = Buffer.buffer(out.length() - (cutEnd - cutStart)).appendBuffer(out, 0, cutStart)
          .appendBuffer(out, cutEnd, out.length() - cutEnd);
      cutStart = -1;
      return kept;
    }
    return out;
  }

  private void checkPendingSize() {
    if (pending != null && pending.length() > maxEventBytes) {
      throw new IllegalStateException("the backend sent an event longer than " + maxEventBytes + " bytes");
    }
  }

  /** The index just past the last blank line ({@code \n\n} or {@code \r\n\r\n}), or -1. */
  static int lastBoundary(Buffer data) {
    return lastBoundary(ByteView.of(data));
  }

  private static int lastBoundary(ByteView data) {
    for (int i = data.length() - 1; i >= 1; i--) {
      if (data.at(i) != '\n') {
        continue;
      }
      byte before = data.at(i - 1);
      if (before == '\n' || before == '\r' && i >= 2 && data.at(i - 2) == '\n') {
        return i + 1;
      }
    }
    return -1;
  }

  /**
   * Looks at the last event of the first {@code length} bytes of {@code out} only: was it data, and
   * did it end the stream? This runs for every piece of every stream.
   */
  private void inspectLastEvent(ByteView out, int length) {
    int lineEnd = withoutLineBreaks(out, length);
    // The last event's lines, last first, up to the blank line before it.
    while (lineEnd > 0) {
      int lineStart = lineEnd;
      while (lineStart > 0 && out.at(lineStart - 1) != '\n') {
        lineStart--;
      }
      int contentEnd = lineEnd > lineStart && out.at(lineEnd - 1) == '\r' ? lineEnd - 1 : lineEnd;
      if (contentEnd == lineStart) {
        break;
      }
      if (out.startsWith(lineStart, contentEnd, DATA)) {
        sawEvent = true;
        int payload = lineStart + DATA.length;
        while (payload < contentEnd && (out.at(payload) == ' ' || out.at(payload) == '\t')) {
          payload++;
        }
        boolean done = out.startsWith(payload, contentEnd, DONE);
        terminal = done || out.startsWith(payload, contentEnd, ERROR);
        if (done) {
          countTokens(out, lineStart);
        } else {
          lastData = out;
          lastDataStart = lineStart;
          lastDataEnd = contentEnd;
          if (stripUsage && isUsageChunk(out, payload, contentEnd)) {
            // The usage chunk, with [DONE] still to come: it goes no further.
            cut(lineStart, length);
          }
        }
        return;
      }
      lineEnd = lineStart - 1;
    }
    if (!sawEvent) {
      sawEvent = hasDataLine(out, length);
    }
  }

  /**
   * Reads the stream's token counts off the event before {@code [DONE]} (the usage chunk, or
   * llama-server's last chunk with its {@code timings}): in this piece before {@code doneStart}, else the
   * last data event of the piece before.
   */
  private void countTokens(ByteView out, int doneStart) {
    int end = withoutLineBreaks(out, doneStart);
    if (end > 0) {
      int start = end;
      // Back to the blank line that ends the event before, or to the piece's start.
      while (start > 0 && !(start >= 2 && out.at(start - 1) == '\n'
          && (out.at(start - 2) == '\n' || out.at(start - 2) == '\r'))) {
        start--;
      }
      tokens = TokenCounts.in(out, start, end);
      int payload = start + DATA.length;
      if (stripUsage && out.startsWith(start, end, DATA) && isUsageChunk(out, payload, end)) {
        cut(start, doneStart);
      }
    } else if (lastData != null) {
      tokens = TokenCounts.in(lastData, lastDataStart, lastDataEnd);
    }
    lastData = null;
  }

  /** Where the first {@code end} bytes of {@code out} end without the line breaks they end with. */
  private static int withoutLineBreaks(ByteView out, int end) {
    int last = end;
    while (last > 0 && (out.at(last - 1) == '\n' || out.at(last - 1) == '\r')) {
      last--;
    }
    return last;
  }

  /** Leaves bytes {@code from} to {@code to} of this piece out of what the client gets. */
  private void cut(int from, int to) {
    cutStart = from;
    cutEnd = to;
  }

  private static final byte[] NO_CHOICES = "\"choices\":[]".getBytes(StandardCharsets.US_ASCII);

  /**
   * Whether a data payload is an OpenAI usage chunk: it ends {@code }}} (its {@code usage} object last,
   * where every other chunk ends with {@code "usage":null} or its choices) and has no choices. The
   * first test reads two bytes; only a payload that passes it is searched.
   */
  private static boolean isUsageChunk(ByteView out, int payload, int end) {
    int last = end;
    while (last > payload && out.at(last - 1) == ' ') {
      last--;
    }
    if (last - payload < 2 || out.at(last - 1) != '}' || out.at(last - 2) != '}') {
      return false;
    }
    for (int i = payload; i + NO_CHOICES.length <= last; i++) {
      if (out.at(i) == '"' && out.startsWith(i, last, NO_CHOICES)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a line of the first {@code length} bytes of {@code out} starts with {@code data:}. */
  private static boolean hasDataLine(ByteView out, int length) {
    for (int i = 0; i < length; i++) {
      if ((i == 0 || out.at(i - 1) == '\n') && out.startsWith(i, length, DATA)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public TokenCounts tokens() {
    return tokens;
  }

  @Override
  public boolean sawEvent() {
    return sawEvent;
  }

  @Override
  public Buffer finish() {
    return terminal ? Buffer.buffer()
        : SseEvents.error("stream_incomplete", "The backend ended the stream before it was complete.");
  }
}
