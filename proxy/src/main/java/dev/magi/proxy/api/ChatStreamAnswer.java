package dev.magi.proxy.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;

/**
 * What every face's answer made from a chat stream shares: the pushed events are read by
 * {@link ChatChunks}, the finish reason, the usage counts and whether the stream ended complete are
 * kept here, and the face says what text, tool-call fragments and an in-band error become, writing
 * the client's bytes to {@link #out}. Used on one event loop, for one attempt.
 */
public abstract class ChatStreamAnswer implements ClientFace.Answer {

  /** The client's bytes of the push under way; null between pushes. */
  protected Buffer out;
  /** The stream's finish reason ({@code stop}, {@code length}, {@code tool_calls}, ...), or null. */
  protected String finishReason;
  /** The usage chunk's prompt tokens, -1 before it came. */
  protected long promptTokens = -1;
  /** The usage chunk's completion tokens, -1 before it came. */
  protected long completionTokens = -1;
  /** The usage chunk's cached prompt tokens. */
  protected long cachedTokens;
  /** Whether the stream ended complete ({@code data: [DONE]}). */
  protected boolean done;

  private final ChatChunks.Listener listener = new ChatChunks.Listener() {
    @Override
    public boolean stopped() {
      return ChatStreamAnswer.this.stopped();
    }

    @Override
    public void event() {
      started();
    }

    @Override
    public void text(String piece) {
      ChatStreamAnswer.this.text(piece);
    }

    @Override
    public void toolCall(int index, String id, String name, String arguments) {
      ChatStreamAnswer.this.toolCall(index, id, name, arguments);
    }

    @Override
    public void finish(String reason) {
      finishReason = reason;
    }

    @Override
    public void usage(long prompt, long completion, long cached) {
      promptTokens = prompt;
      completionTokens = completion;
      cachedTokens = cached;
    }

    @Override
    public void error(JsonNode error) {
      failed(error);
    }

    @Override
    public void done() {
      done = true;
    }
  };

  @Override
  public final Buffer push(Buffer events) {
    out = Buffer.buffer();
    ChatChunks.read(events, listener);
    Buffer given = out;
    out = null;
    return whole() ? Buffer.buffer() : given;
  }

  @Override
  public boolean complete() {
    return false;
  }

  /** Whether the rest of the events given are to be skipped: the answer is over. */
  protected abstract boolean stopped();

  /** Before anything an event of the stream says (each event). */
  protected void started() {
  }

  /** A piece of the answer's text, not empty. */
  protected abstract void text(String piece);

  /** A fragment of tool call {@code index}, see {@link ChatChunks.Listener#toolCall}. */
  protected abstract void toolCall(int index, String id, String name, String arguments);

  /** The backend's in-band error: the stream is over. */
  protected abstract void failed(JsonNode error);

  /** The backend's in-band error as the client's error, with its status. */
  protected static ApiException upstreamError(JsonNode error) {
    return new ApiException(ChatChunks.status(error), "server_error", null, "upstream_error",
        error.path("message").asText("The backend failed during the answer."));
  }
}
