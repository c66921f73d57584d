package dev.magi.proxy.api;

/** The OpenAI operations Magi forwards to backends. */
public enum Operation {
  /** {@code POST /v1/chat/completions}. */
  CHAT("/v1/chat/completions", "chat.completion"),
  /** {@code POST /v1/completions}. */
  COMPLETION("/v1/completions", "text_completion"),
  /** {@code POST /v1/embeddings}. */
  EMBEDDING("/v1/embeddings", "list");

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

  /** The {@code object} of a non-streamed response. */
  public String object() {
    return object;
  }
}
