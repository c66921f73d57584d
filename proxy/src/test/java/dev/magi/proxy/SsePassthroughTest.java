package dev.magi.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class SsePassthroughTest {

  @Test
  void holdsBackHalfEventsAndReleasesThemWhole() {
    SsePassthrough sse = new SsePassthrough(1024);

    assertEquals("", sse.push(Buffer.buffer("data: {\"a\":")).toString());
    assertFalse(sse.sawEvent());
    assertEquals("data: {\"a\":1}\n\n", sse.push(Buffer.buffer("1}\n\ndata: {\"b\"")).toString());
    assertTrue(sse.sawEvent());
    assertEquals("data: {\"b\":2}\n\ndata: [DONE]\n\n", sse.push(Buffer.buffer(":2}\n\ndata: [DONE]\n\n")).toString());
    assertEquals("", sse.finish().toString(), "a stream that ended with [DONE] is complete");
  }

  @Test
  void crlfEventBoundariesCount() {
    SsePassthrough sse = new SsePassthrough(1024);

    assertEquals("data: {}\r\n\r\n", sse.push(Buffer.buffer("data: {}\r\n\r\ndata:")).toString());
  }

  @Test
  void commentsAloneDoNotCountAsTheFirstEvent() {
    SsePassthrough sse = new SsePassthrough(1024);

    assertEquals(": ping\n\n", sse.push(Buffer.buffer(": ping\n\n")).toString());
    assertFalse(sse.sawEvent());
  }

  @Test
  void aCommentMentioningDataIsNotAnEvent() {
    SsePassthrough sse = new SsePassthrough(1024);

    sse.push(Buffer.buffer(": data: is coming\n\n"));
    assertFalse(sse.sawEvent());
    sse.push(Buffer.buffer("event: message\ndata:[DONE]\n\n"));
    assertTrue(sse.sawEvent());
    assertEquals("", sse.finish().toString(), "data:[DONE] without a space still ends the stream");
  }

  @Test
  void streamEndingWithoutDoneGetsAnErrorEvent() {
    SsePassthrough sse = new SsePassthrough(1024);
    sse.push(Buffer.buffer("data: {\"a\":1}\n\ndata: {\"partial"));

    String tail = sse.finish().toString();

    assertTrue(tail.startsWith("data: {\"error\":{\"message\":\"The backend ended the stream before it was complete."),
        tail);
    assertTrue(tail.endsWith("\"code\":\"stream_incomplete\"}}\n\n"));
  }

  @Test
  void backendErrorEventCountsAsAnEnd() {
    SsePassthrough sse = new SsePassthrough(1024);
    sse.push(Buffer.buffer("data: {\"error\":{\"code\":500,\"message\":\"x\"}}\n\n"));

    assertEquals("", sse.finish().toString());
  }

  @Test
  void anEventLongerThanTheLimitFailsTheStream() {
    SsePassthrough sse = new SsePassthrough(16);

    assertThrows(IllegalStateException.class, () -> sse.push(Buffer.buffer("data: " + "x".repeat(32))));
  }
}
