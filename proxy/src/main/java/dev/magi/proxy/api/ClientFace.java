package dev.magi.proxy.api;

import io.vertx.core.buffer.Buffer;

/**
 * The API a client speaks, as far as the proxy must know it: how its errors look, and how the
 * OpenAI-shaped answer the proxy gets from a backend is turned into what the client reads. The proxy
 * always works in OpenAI's terms (the backends' protocols are adapted to them); a face other than
 * {@link #OPENAI} is an adapter at the edge, translating on the way in (before the request reaches
 * the proxy) and on the way out (through this interface), so that every face shares the router,
 * admission, retries and metrics.
 *
 * <p>Implementations are stateless and may be shared; per-answer state lives in the {@link Answer}
 * they make.
 */
public interface ClientFace {

  /** OpenAI's API: errors as {@link ApiException#toJson()}, answers as the backend sent them. */
  ClientFace OPENAI = new ClientFace() {
    @Override
    public Buffer errorBody(ApiException error) {
      return Json.buffer(error.toJson());
    }

    @Override
    public Buffer errorEvent(ApiException error) {
      return Buffer.buffer().appendString("data: ").appendBuffer(errorBody(error)).appendString("\n\n");
    }

    @Override
    public Answer answer(ApiRequest request) {
      return null;
    }
  };

  /** The body of an HTTP error answer (its status is {@link ApiException#status()}, as for every face). */
  Buffer errorBody(ApiException error);

  /** The {@code Content-Type} of a streamed answer. */
  default String streamContentType() {
    return "text/event-stream";
  }

  /**
   * What fills a stream's silences (a long prompt being read) so that proxies keep it open, or null
   * when the face's stream format has no such thing.
   */
  default Buffer ping() {
    return PING;
  }

  /** An SSE comment, which every SSE client skips. */
  Buffer PING = Buffer.buffer(": ping\n\n");

  /** An SSE event with a name, as Anthropic's and the Responses API's streams send them. */
  static Buffer namedEvent(String name, com.fasterxml.jackson.databind.JsonNode data) {
    return Buffer.buffer(64).appendString("event: ").appendString(name).appendString("\ndata: ")
        .appendBuffer(Json.buffer(data)).appendString("\n\n");
  }

  /**
   * Whether a whole (non-streamed) answer to {@code request} is rewritten by {@link #body}; else its
   * bytes pass through as the backend (or its protocol's translation) gave them.
   */
  default boolean rewritesBody(ApiRequest request) {
    return false;
  }

  /**
   * Rewrites a whole, successful, OpenAI-shaped answer into the face's.
   *
   * @throws ApiException 502 when the answer is not what it should be
   */
  default Buffer body(ApiRequest request, Buffer openAi) {
    return openAi;
  }

  /** The in-band error event that ends a stream already under way. */
  Buffer errorEvent(ApiException error);

  /**
   * A fresh translator for the answer to {@code request}, or null when the client reads the backend's
   * OpenAI answer as it is. A face that translates asks the backend for a stream (the proxy sends
   * {@code request} as it is, so the face's request translation sets {@code stream: true}), and the
   * answer's events come to it whole.
   */
  Answer answer(ApiRequest request);

  /**
   * Turns one answer, a stream of OpenAI chat chunks, into the face's answer. Used on one event loop.
   */
  interface Answer {

    /**
     * Whether the client gets one whole body ({@link #finish()}) rather than a stream: it did not ask
     * for a stream, though the backend was asked for one. Nothing is sent to such a client before the
     * end, so a failure at any point is still an HTTP error.
     */
    boolean whole();

    /**
     * Takes whole OpenAI SSE events (possibly several, possibly comments).
     *
     * @return the client's bytes for them (whole events of the face), possibly empty; always empty
     *     when {@link #whole()}
     * @throws ApiException when the events say the answer failed and the client must get this error
     */
    Buffer push(Buffer events);

    /**
     * Whether the answer is complete before the backend's stream is (a stop sequence of the face's was
     * met): the proxy then ends the stream with {@link #finish()} and lets go of the backend.
     */
    boolean complete();

    /**
     * The end of the answer, after the backend's stream ended (or {@link #complete()}): the client's
     * last events, or the whole body when {@link #whole()}.
     *
     * @throws ApiException when the stream ended without a complete answer
     */
    Buffer finish();
  }
}
