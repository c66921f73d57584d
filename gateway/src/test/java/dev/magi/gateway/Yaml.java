package dev.magi.gateway;

/** Builds the small configurations the tests use. */
final class Yaml {

  private Yaml() {
  }

  /** One llama-server backend serving {@code model} at {@code url}. */
  static String llama(String model, String url) {
    return "backends:\n  - model: " + model + "\n    url: " + url + "\n    type: llama-server\n";
  }

  /** An Ollama endpoint whose models are discovered. */
  static String ollama(String url) {
    return "backends:\n  - url: " + url + "\n    type: ollama\n";
  }
}
