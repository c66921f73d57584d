package dev.magi.proxy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.proxy.api.Operation;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * The readers of what a backend streams take any bytes, cut anywhere: the SSE splitter passes whole
 * events through unchanged, the Ollama NDJSON reader turns lines into well-formed SSE events; the only
 * failure either may raise is the documented one for an over-long event or line.
 */
class StreamReadersFuzzTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  // A per-input limit (Jazzer passes it to libFuzzer as -timeout): an input that makes the parser hang
  // is a finding. Longer than the whole run, for JUnit may still apply it to the run as a whole.
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "10s")
  void sseSplitterPassesWholeEventsThroughUnchanged(FuzzedDataProvider data) {
    int maxEvent = data.consumeInt(16, 4096);
    SsePassthrough splitter = new SsePassthrough(maxEvent);
    Buffer sent = Buffer.buffer();
    Buffer passed = Buffer.buffer();
    try {
      while (data.remainingBytes() > 0) {
        byte[] piece = data.consumeBytes(data.consumeInt(1, 512));
        sent.appendBytes(piece);
        passed.appendBuffer(splitter.push(Buffer.buffer(piece)));
      }
    } catch (IllegalStateException e) {
      if (!e.getMessage().startsWith("the backend sent an event longer than")) {
        throw e;
      }
      return;
    }
    byte[] in = sent.getBytes();
    byte[] out = passed.getBytes();
    for (int i = 0; i < out.length; i++) {
      if (in[i] != out[i]) {
        throw new AssertionError("byte " + i + " changed on the way through");
      }
    }
    if (out.length > 0 && out[out.length - 1] != '\n') {
      throw new AssertionError("a partial event went out");
    }
    Buffer end = splitter.finish();
    if (end.length() > 0 && !end.toString(StandardCharsets.UTF_8).startsWith("data: {\"error\":")) {
      throw new AssertionError("the end of an incomplete stream is one error event");
    }
  }

  // A per-input limit (Jazzer passes it to libFuzzer as -timeout): an input that makes the parser hang
  // is a finding. Longer than the whole run, for JUnit may still apply it to the run as a whole.
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "10s")
  void ollamaLinesBecomeWellFormedEvents(FuzzedDataProvider data) throws Exception {
    OllamaStream reader = new OllamaStream(data.consumeBoolean() ? Operation.CHAT : Operation.COMPLETION, "m",
        data.consumeBoolean());
    Buffer out = Buffer.buffer();
    try {
      while (data.remainingBytes() > 0) {
        out.appendBuffer(reader.push(Buffer.buffer(data.consumeBytes(data.consumeInt(1, 512)))));
      }
    } catch (IllegalStateException e) {
      if (!e.getMessage().startsWith("the backend sent a line longer than")) {
        throw e;
      }
      return;
    }
    out.appendBuffer(reader.finish());
    for (String event : out.toString(StandardCharsets.UTF_8).split("\n\n")) {
      if (event.isEmpty()) {
        continue;
      }
      if (!event.startsWith("data: ")) {
        throw new AssertionError("not an SSE data event: " + event);
      }
      String payload = event.substring(6);
      if (!payload.equals("[DONE]") && !JSON.readTree(payload).isObject()) {
        throw new AssertionError("an event that is not a JSON object: " + payload);
      }
    }
  }
}
