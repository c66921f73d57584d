package dev.magi.proxy;

import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.router.Backend;
import dev.magi.router.BackendType;
import io.vertx.core.buffer.Buffer;

/**
 * How requests and responses are adapted for one kind of backend. Implementations are stateless;
 * per-stream state lives in the {@link StreamTranslator} they make.
 */
interface BackendProtocol {

  /**
   * The request to send to {@code backend} for {@code request}.
   *
   * @throws ApiException 400 when the request asks for something this kind of backend cannot do
   */
  UpstreamRequest upstreamRequest(ApiRequest request, Backend backend);

  /** Whether a successful response to {@code request} arrives as a stream this protocol must translate. */
  boolean streams(ApiRequest request, String contentType);

  /** A fresh translator for one streamed response from {@code backend}. */
  StreamTranslator streamTranslator(ApiRequest request, Backend backend, String modelId);

  /** Whether a successful non-streamed body must be rewritten (else its bytes pass through). */
  boolean translatesBody(ApiRequest request);

  /**
   * Rewrites a complete, successful, non-streamed body into OpenAI's shape.
   *
   * @throws ApiException 502 when the body is not what the backend should have sent
   */
  Buffer translateBody(ApiRequest request, String modelId, Buffer body);

  /** The protocol for backends of {@code type}. */
  static BackendProtocol of(BackendType type) {
    return type.speaksOpenAi() ? OpenAiPassthrough.INSTANCE : OllamaProtocol.INSTANCE;
  }
}
