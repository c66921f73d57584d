package dev.magi.registry;

/**
 * Ollama model names: {@code [host/][namespace/]model[:tag]}, where a missing tag means {@code latest}.
 *
 * <p>Ollama treats {@code llama3.2} and {@code llama3.2:latest} as the same model; Magi does too, by
 * comparing names in their {@linkplain #canonical(String) canonical} form.
 */
public final class OllamaModelName {

  /** The tag Ollama assumes when a name has none. */
  public static final String DEFAULT_TAG = "latest";

  private OllamaModelName() {
  }

  /**
   * Returns {@code name} with {@code :latest} appended when it has no tag of its own.
   * A colon inside the host part ({@code host:11434/model}) is not a tag.
   *
   * @param name an Ollama model name, not null
   * @return the name with an explicit tag; {@code name} itself when it already has one
   */
  public static String canonical(String name) {
    return hasTag(name) ? name : name + ":" + DEFAULT_TAG;
  }

  /** Whether the last path segment of {@code name} carries a {@code :tag}. */
  public static boolean hasTag(String name) {
    int slash = name.lastIndexOf('/');
    return name.indexOf(':', slash + 1) >= 0;
  }
}
