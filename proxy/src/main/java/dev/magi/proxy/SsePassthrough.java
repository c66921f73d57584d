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

  /** @param maxEventBytes longest single event accepted; a longer one fails the stream */
  SsePassthrough(int maxEventBytes) {
    this.maxEventBytes = maxEventBytes;
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
    int lineEnd = length;
    while (lineEnd > 0 && (out.at(lineEnd - 1) == '\n' || out.at(lineEnd - 1) == '\r')) {
      lineEnd--;
    }
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
    int end = doneStart;
    while (end > 0 && (out.at(end - 1) == '\n' || out.at(end - 1) == '\r')) {
      end--;
    }
    if (end > 0) {
      int start = end;
      while (start > 1 && !(out.at(start - 1) == '\n' && (out.at(start - 2) == '\n' || out.at(start - 2) == '\r'))) {
        start--;
      }
      tokens = TokenCounts.in(out, start, end);
    } else if (lastData != null) {
      tokens = TokenCounts.in(lastData, lastDataStart, lastDataEnd);
    }
    lastData = null;
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
