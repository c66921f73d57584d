package dev.magi.gateway.proxy;

import io.vertx.core.buffer.Buffer;

/**
 * Passes an OpenAI-style SSE stream through without re-encoding: bytes go out as they came, cut only
 * at event boundaries (a blank line), so the client never holds half an event when the backend fails.
 * Also notes whether the stream ended properly ({@code data: [DONE]} or an error event).
 */
final class SsePassthrough implements StreamTranslator {

  private final int maxEventBytes;
  private Buffer pending;
  private boolean sawEvent;
  private boolean terminal;

  /** @param maxEventBytes longest single event accepted; a longer one fails the stream */
  SsePassthrough(int maxEventBytes) {
    this.maxEventBytes = maxEventBytes;
  }

  @Override
  public Buffer push(Buffer piece) {
    Buffer data = pending == null ? piece : pending.appendBuffer(piece);
    int end = lastBoundary(data);
    if (end < 0) {
      pending = data.copy();
      checkPendingSize();
      return Buffer.buffer();
    }
    Buffer out = end == data.length() ? data : data.slice(0, end);
    pending = end == data.length() ? null : data.getBuffer(end, data.length());
    checkPendingSize();
    inspectLastEvent(out);
    return out;
  }

  private void checkPendingSize() {
    if (pending != null && pending.length() > maxEventBytes) {
      throw new IllegalStateException("the backend sent an event longer than " + maxEventBytes + " bytes");
    }
  }

  /** The index just past the last blank line ({@code \n\n} or {@code \r\n\r\n}), or -1. */
  static int lastBoundary(Buffer data) {
    for (int i = data.length() - 1; i >= 1; i--) {
      if (data.getByte(i) != '\n') {
        continue;
      }
      byte before = data.getByte(i - 1);
      if (before == '\n' || before == '\r' && i >= 2 && data.getByte(i - 2) == '\n') {
        return i + 1;
      }
    }
    return -1;
  }

  /** Looks at the last event of {@code out} only: was it data, and did it end the stream? */
  private void inspectLastEvent(Buffer out) {
    int end = out.length();
    while (end > 0 && (out.getByte(end - 1) == '\n' || out.getByte(end - 1) == '\r')) {
      end--;
    }
    int start = end;
    while (start > 0 && !(out.getByte(start - 1) == '\n' && start >= 2
        && (out.getByte(start - 2) == '\n' || out.getByte(start - 2) == '\r'))) {
      start--;
    }
    String last = out.getString(start, Math.min(end, start + 16));
    if (last.startsWith("data:")) {
      sawEvent = true;
      String payload = last.substring(5).stripLeading();
      terminal = payload.startsWith("[DONE]") || payload.startsWith("{\"error\"");
    } else if (!sawEvent) {
      sawEvent = out.toString().contains("data:");
    }
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
