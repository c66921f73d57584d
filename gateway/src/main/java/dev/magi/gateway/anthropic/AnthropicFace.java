package dev.magi.gateway.anthropic;

import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.ClientFace;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * Anthropic's Messages API as the proxy sees it: errors in Anthropic's shape, and answers made by
 * {@link AnthropicAnswer} from the backend's OpenAI stream. One per request, made from its
 * {@linkplain AnthropicRequests.Translated translation}; {@link #ERRORS} serves the errors of
 * requests that never got that far.
 */
public final class AnthropicFace implements ClientFace {

  /** Errors only: for a request refused before it was translated. */
  public static final AnthropicFace ERRORS = new AnthropicFace(false, "", List.of());

  private final boolean stream;
  private final String model;
  private final List<String> stopSequences;

  private AnthropicFace(boolean stream, String model, List<String> stopSequences) {
    this.stream = stream;
    this.model = model;
    this.stopSequences = stopSequences;
  }

  /** The face of one translated request. */
  public static AnthropicFace of(AnthropicRequests.Translated request) {
    return new AnthropicFace(request.stream(), request.model(), request.stopSequences());
  }

  @Override
  public Buffer errorBody(ApiException error) {
    return AnthropicErrors.body(error);
  }

  @Override
  public Buffer errorEvent(ApiException error) {
    return AnthropicErrors.event(error);
  }

  @Override
  public Answer answer(ApiRequest request) {
    return new AnthropicAnswer(!stream, model, stopSequences);
  }
}
