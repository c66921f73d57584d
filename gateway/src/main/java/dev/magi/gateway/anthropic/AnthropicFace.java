package dev.magi.gateway.anthropic;

import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.ClientFace;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * Anthropic's Messages API as the proxy sees it: errors in Anthropic's shape, and answers made by
 * {@link AnthropicAnswer} from the backend's OpenAI stream. One per message request, made from its
 * {@linkplain AnthropicRequests.Translated translation}; {@link #ERRORS} shapes the errors of requests
 * that never got that far, and of {@code count_tokens}, whose answer passes through as llama-server
 * gives it.
 */
public final class AnthropicFace implements ClientFace {

  /** Errors only; answers pass through. */
  public static final AnthropicFace ERRORS = new AnthropicFace(false, null, List.of());

  private final boolean stream;
  /** The model the client asked for; null for {@link #ERRORS}. */
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
    return model == null ? null : new AnthropicAnswer(!stream, model, stopSequences);
  }
}
