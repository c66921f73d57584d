package dev.magi.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.Json;
import dev.magi.proxy.api.Operation;
import dev.magi.router.Backend;
import dev.magi.router.BackendType;
import io.vertx.core.buffer.Buffer;

/**
 * Backends that speak OpenAI's API (llama-server, other OpenAI-compatible servers): the request body
 * is forwarded as received unless a field must change, and response bytes pass through unchanged.
 *
 * <p>Fields that change: {@code model}, when the client used an alias or the backend knows the model
 * by another name; for llama-server, {@code max_completion_tokens} is copied to {@code max_tokens}
 * (older builds read only the latter, protocols.md §3.5); for a stream to an OpenAI-compatible server
 * whose client did not ask for usage, {@code stream_options.include_usage} is set, and the usage chunk
 * taken out of what the client gets ({@link #asksForUsage}).
 */
final class OpenAiPassthrough implements BackendProtocol {

  static final OpenAiPassthrough INSTANCE = new OpenAiPassthrough();
  private static final int MAX_EVENT_BYTES = 16 << 20;

  private OpenAiPassthrough() {
  }

  @Override
  public UpstreamRequest upstreamRequest(ApiRequest request, Backend backend) {
    if (!request.operation().servedBy(backend.endpoint().type())) {
      throw notServed(request, "an OpenAI-compatible server");
    }
    // Read through field(): a request forwarded as it came is never parsed whole.
    ObjectNode changed = null;
    if (!request.model().equals(backend.upstreamModel())) {
      changed = Json.object().setAll(request.body());
      changed.put("model", backend.upstreamModel());
    }
    JsonNode maxCompletion = request.field("max_completion_tokens");
    if (backend.endpoint().type() == BackendType.LLAMA_SERVER && (request.operation() == Operation.CHAT
        || request.operation() == Operation.COMPLETION) && maxCompletion != null && !maxCompletion.isNull() && request.field("max_tokens") == null) {
      changed = changed == null ? Json.object().setAll(request.body()) : changed;
      changed.set("max_tokens", maxCompletion);
    }
    Buffer bytes;
    if (asksForUsage(request, backend)) {
      JsonNode options = request.field("stream_options");
      if (changed == null && options == null) {
        // Spliced in: a body forwarded as it came stays unparsed.
        bytes = withUsageAsked(request.raw());
      } else {
        changed = changed == null ? Json.object().setAll(request.body()) : changed;
        ObjectNode asked = options instanceof ObjectNode given ? given.deepCopy() : Json.object();
        asked.put("include_usage", true);
        changed.set("stream_options", asked);
        bytes = Json.buffer(changed);
      }
    } else {
      bytes = changed == null ? request.raw() : Json.buffer(changed);
    }
    return new UpstreamRequest(backend.endpoint().basePath() + request.operation().path(), bytes);
  }

  /** The 400 for an operation asked of a model whose kind of server does not serve it. */
  static ApiException notServed(ApiRequest request, String servedBy) {
    String who = request.operation().servedBy(BackendType.OPENAI) ? "llama-server and OpenAI-compatible backends"
        : "llama-server backends";
    return new ApiException(400, "invalid_request_error", "model", "unsupported_for_backend", "'"
        + request.operation().path() + "' is served by " + who + " only; model '" + request.model()
        + "' is served by " + servedBy + ".");
  }

  /**
   * Whether Magi asks the backend for a stream's usage chunk itself, for its token metrics: a stream
   * to an OpenAI-compatible server whose client did not ask. llama-server is not asked: the
   * {@code timings} on its last chunk already say how many tokens it used.
   */
  static boolean asksForUsage(ApiRequest request, Backend backend) {
    return request.stream() && !request.includeUsage() && request.operation() != Operation.EMBEDDING
        && backend.endpoint().type() == BackendType.OPENAI;
  }

  /** {@code body} (a JSON object with members) with {@code "stream_options":{"include_usage":true}} first. */
  private static Buffer withUsageAsked(Buffer body) {
    int open = 0;
    while (open < body.length() && body.getByte(open) != '{') {
      open++;
    }
    return Buffer.buffer(body.length() + USAGE_ASKED.length())
        .appendBuffer(body, 0, open + 1).appendBuffer(USAGE_ASKED).appendBuffer(body, open + 1, body.length() - open - 1);
  }

  private static final Buffer USAGE_ASKED = Buffer.buffer("\"stream_options\":{\"include_usage\":true},");

  @Override
  public boolean streams(ApiRequest request, String contentType) {
    return request.stream() && contentType != null && contentType.startsWith("text/event-stream");
  }

  @Override
  public StreamTranslator streamTranslator(ApiRequest request, Backend backend, String modelId) {
    return new SsePassthrough(MAX_EVENT_BYTES, asksForUsage(request, backend));
  }

  @Override
  public boolean translatesBody(ApiRequest request) {
    // Only when the client wants base64 embeddings: a backend that ignores encoding_format and
    // answers with floats gets its vectors encoded here.
    return request.operation() == Operation.EMBEDDING && request.base64();
  }

  @Override
  public Buffer translateBody(ApiRequest request, String modelId, Buffer body) {
    JsonNode json = Json.parseOrNull(body);
    if (!(json instanceof ObjectNode response)) {
      throw ApiException.badGateway("The backend for model '" + modelId + "' answered with a body that is not JSON.");
    }
    return EmbeddingVectors.encodeAll(response) ? Json.buffer(response) : body;
  }
}
