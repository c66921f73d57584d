package dev.magi.proxy.api;

/**
 * The operations Magi forwards to backends: OpenAI's, which every backend serves (Ollama's by
 * translation), and llama-server's own ({@link #llamaServerOnly()}), which only llama-server backends
 * (and other Magi nodes, which forward them to theirs) serve.
 */
public enum Operation {
  /** {@code POST /v1/chat/completions}. */
  CHAT("/v1/chat/completions", "chat.completion"),
  /** {@code POST /v1/completions}. */
  COMPLETION("/v1/completions", "text_completion"),
  /** {@code POST /v1/embeddings}. */
  EMBEDDING("/v1/embeddings", "list"),
  /** {@code POST /tokenize}: llama-server's tokenizer. */
  TOKENIZE("/tokenize", null),
  /** {@code POST /detokenize}: llama-server's tokenizer, backwards. */
  DETOKENIZE("/detokenize", null),
  /** {@code POST /v1/messages/count_tokens}: Anthropic's token count, which llama-server serves. */
  COUNT_TOKENS("/v1/messages/count_tokens", null);

  private final String path;
  private final String object;

  Operation(String path, String object) {
    this.path = path;
    this.object = object;
  }

  /** The path under which clients call it, and under which OpenAI-style backends serve it. */
  public String path() {
    return path;
  }

  /** Whether only llama-server backends serve it (its answer passes through as it is). */
  public boolean llamaServerOnly() {
    return object == null;
  }

  /** The {@code object} of a non-streamed response; null for llama-server's own operations. */
  public String object() {
    return object;
  }
}
