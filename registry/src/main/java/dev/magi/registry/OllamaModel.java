package dev.magi.registry;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One model as an Ollama endpoint lists it in {@code GET /api/tags}.
 *
 * @param name canonical name ({@code llama3.2:latest}), never null
 * @param modifiedAt when the model was last changed on that endpoint; {@link Instant#EPOCH} when unknown
 * @param sizeBytes size on disk, 0 when unknown
 * @param family model family ({@code llama}), empty when unknown
 * @param parameterSize parameter size label ({@code 3.2B}), empty when unknown
 * @param quantization quantization level ({@code Q4_K_M}), empty when unknown
 * @param capabilities capabilities ({@code completion}, {@code embedding}, {@code tools}, ...), possibly empty
 */
public record OllamaModel(String name, Instant modifiedAt, long sizeBytes, String family,
    String parameterSize, String quantization, List<String> capabilities) {

  /** Validates and normalises the fields; {@code name} is made canonical. */
  public OllamaModel {
    Objects.requireNonNull(name, "name");
    name = OllamaModelName.canonical(name);
    modifiedAt = modifiedAt == null ? Instant.EPOCH : modifiedAt;
    family = family == null ? "" : family;
    parameterSize = parameterSize == null ? "" : parameterSize;
    quantization = quantization == null ? "" : quantization;
    capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
  }

  /** Whether Ollama says this model produces embeddings (and only embeddings). */
  public boolean isEmbeddingOnly() {
    return capabilities.contains("embedding") && !capabilities.contains("completion");
  }
}
