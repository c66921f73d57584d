package dev.magi.proxy;

import dev.magi.proxy.api.ClientFace;
import io.vertx.core.buffer.Buffer;

/**
 * A backend's stream as a client face reads it: the backend's protocol turns its bytes into OpenAI
 * events, and the face's {@link ClientFace.Answer} turns those into its own.
 */
final class FacedStream implements StreamTranslator {

  private final StreamTranslator openAi;
  private final ClientFace.Answer answer;

  FacedStream(StreamTranslator openAi, ClientFace.Answer answer) {
    this.openAi = openAi;
    this.answer = answer;
  }

  @Override
  public Buffer push(Buffer piece) {
    Buffer events = openAi.push(piece);
    return events.length() == 0 || answer.complete() ? Buffer.buffer() : answer.push(events);
  }

  @Override
  public boolean sawEvent() {
    return openAi.sawEvent();
  }

  @Override
  public TokenCounts tokens() {
    return openAi.tokens();
  }

  @Override
  public boolean complete() {
    return answer.complete();
  }

  /** The face's last bytes; the backend's own ending (an error event for a stream cut short) goes through the face first. */
  @Override
  public Buffer finish() {
    if (answer.complete()) {
      return answer.finish();
    }
    Buffer tail = openAi.finish();
    Buffer out = tail.length() == 0 ? Buffer.buffer() : answer.push(tail);
    return Buffer.buffer().appendBuffer(out).appendBuffer(answer.finish());
  }
}
