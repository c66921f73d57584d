package dev.magi.proxy.api;

import dev.magi.router.BackendType;

/**
 * The operations Magi forwards to backends, and which kinds of backend serve each: OpenAI's chat,
 * completions and embeddings every backend serves (Ollama's by translation); rerank the OpenAI-style
 * servers that have it; llama-server's own operations only llama-server. Another Magi node serves
 * whatever its own backends do.
 */
public enum Operation {
  /** {@code POST /v1/chat/completions}. */
  CHAT("/v1/chat/completions", "chat.completion", Served.EVERY),
  /** {@code POST /v1/completions}. */
  COMPLETION("/v1/completions", "text_completion", Served.EVERY),
  /** {@code POST /v1/embeddings}. */
  EMBEDDING("/v1/embeddings", "list", Served.EVERY),
  /** {@code POST /v1/rerank}: documents scored against a query (llama-server with {@code --reranking}). */
  RERANK("/v1/rerank", null, Served.OPENAI_STYLE),
  /** {@code POST /tokenize}: llama-server's tokenizer. */
  TOKENIZE("/tokenize", null, Served.LLAMA_SERVER),
  /** {@code POST /detokenize}: llama-server's tokenizer, backwards. */
  DETOKENIZE("/detokenize", null, Served.LLAMA_SERVER),
  /** {@code POST /v1/messages/count_tokens}: Anthropic's token count, which llama-server serves. */
  COUNT_TOKENS("/v1/messages/count_tokens", null, Served.LLAMA_SERVER);

  /** Which kinds of backend serve an operation. */
  private enum Served {
    EVERY, OPENAI_STYLE, LLAMA_SERVER
  }

  private final String path;
  private final String object;
  private final Served served;

  Operation(String path, String object, Served served) {
    this.path = path;
    this.object = object;
    this.served = served;
  }

  /** The path under which clients call it, and under which OpenAI-style backends serve it. */
  public String path() {
    return path;
  }

  /** Whether a backend of {@code type} serves it. */
  public boolean servedBy(BackendType type) {
    return switch (served) {
      case EVERY -> true;
      case OPENAI_STYLE -> type != BackendType.OLLAMA;
      case LLAMA_SERVER -> type == BackendType.LLAMA_SERVER || type == BackendType.MAGI;
    };
  }

  /** Whether it is one of OpenAI's own three, which the gateway reads field by field; the others are small and read whole. */
  public boolean openAiCore() {
    return served == Served.EVERY;
  }

  /** The {@code object} of a non-streamed response; null for operations that are not OpenAI's. */
  public String object() {
    return object;
  }
}
