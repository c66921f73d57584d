package dev.magi.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.Json;
import dev.magi.router.Backend;
import io.vertx.core.buffer.Buffer;

/**
 * Ollama's native API behind OpenAI's: requests are translated by {@link OllamaRequests}, whole
 * responses here, streams by {@link OllamaStream}.
 */
final class OllamaProtocol implements BackendProtocol {

  static final OllamaProtocol INSTANCE = new OllamaProtocol();

  private OllamaProtocol() {
  }

  @Override
  public UpstreamRequest upstreamRequest(ApiRequest request, Backend backend) {
    String base = backend.endpoint().basePath();
    String model = backend.upstreamModel();
    return switch (request.operation()) {
      case CHAT -> new UpstreamRequest(base + "/api/chat", Json.buffer(OllamaRequests.chat(request, model)));
      case COMPLETION -> new UpstreamRequest(base + "/api/generate",
          Json.buffer(OllamaRequests.generate(request, model)));
      case EMBEDDING -> new UpstreamRequest(base + "/api/embed", Json.buffer(OllamaRequests.embed(request, model)));
      case RERANK, TOKENIZE, DETOKENIZE, COUNT_TOKENS -> throw OpenAiPassthrough.notServed(request, "an Ollama server");
    };
  }

  @Override
  public boolean streams(ApiRequest request, String contentType) {
    return request.stream();
  }

  @Override
  public StreamTranslator streamTranslator(ApiRequest request, Backend backend, String modelId) {
    return new OllamaStream(request.operation(), modelId, request.includeUsage());
  }

  @Override
  public boolean translatesBody(ApiRequest request) {
    return true;
  }

  @Override
  public Buffer translateBody(ApiRequest request, String modelId, Buffer body) {
    JsonNode line = Json.parseOrNull(body);
    if (line == null || !line.isObject()) {
      throw ApiException.badGateway("The Ollama backend for model '" + modelId + "' answered with a body that is not JSON.");
    }
    return Json.buffer(switch (request.operation()) {
      case CHAT -> chatCompletion(line, modelId);
      case COMPLETION -> textCompletion(line, modelId);
      case EMBEDDING -> embeddings(line, modelId, request.base64());
      case RERANK, TOKENIZE, DETOKENIZE, COUNT_TOKENS -> throw new IllegalStateException("never sent to Ollama");
    });
  }

  private static ObjectNode chatCompletion(JsonNode line, String modelId) {
    ObjectNode out = OllamaChunks.head(OllamaChunks.randomId("chatcmpl-"), "chat.completion",
        OllamaChunks.created(line), modelId);
    JsonNode message = line.path("message");
    JsonNode calls = message.get("tool_calls");
    boolean hasCalls = calls != null && calls.isArray() && !calls.isEmpty();
    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode outMessage = choice.putObject("message");
    outMessage.put("role", "assistant");
    String content = message.path("content").asText("");
    if (hasCalls && content.isEmpty()) {
      outMessage.putNull("content");
    } else {
      outMessage.put("content", content);
    }
    String thinking = message.path("thinking").asText("");
    if (!thinking.isEmpty()) {
      outMessage.put("reasoning_content", thinking);
    }
    if (hasCalls) {
      outMessage.set("tool_calls", OllamaChunks.toolCalls(calls, 0, false));
    }
    choice.putNull("logprobs");
    choice.put("finish_reason", OllamaChunks.finishReason(line, hasCalls));
    out.set("usage", OllamaChunks.usage(line));
    return out;
  }

  private static ObjectNode textCompletion(JsonNode line, String modelId) {
    ObjectNode out = OllamaChunks.head(OllamaChunks.randomId("cmpl-"), "text_completion",
        OllamaChunks.created(line), modelId);
    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("text", line.path("response").asText(""));
    choice.put("index", 0);
    choice.putNull("logprobs");
    choice.put("finish_reason", OllamaChunks.finishReason(line, false));
    out.set("usage", OllamaChunks.usage(line));
    return out;
  }

  private static ObjectNode embeddings(JsonNode line, String modelId, boolean base64) {
    JsonNode vectors = line.get("embeddings");
    if (vectors == null || !vectors.isArray()) {
      throw ApiException.badGateway("The Ollama backend for model '" + modelId + "' sent no embeddings.");
    }
    ObjectNode out = Json.object();
    out.put("object", "list");
    ArrayNode data = out.putArray("data");
    for (int i = 0; i < vectors.size(); i++) {
      ObjectNode item = data.addObject();
      item.put("object", "embedding");
      item.put("index", i);
      if (base64) {
        item.put("embedding", EmbeddingVectors.base64(vectors.get(i)));
      } else {
        item.set("embedding", vectors.get(i));
      }
    }
    out.put("model", modelId);
    long tokens = line.path("prompt_eval_count").asLong(0);
    out.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
    return out;
  }
}
