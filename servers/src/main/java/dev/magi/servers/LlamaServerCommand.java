package dev.magi.servers;

import dev.magi.registry.ModelEntry;
import dev.magi.registry.ModelKind;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a llama-server for one model:
 * {@code -m <file> --host 127.0.0.1 --port <port> --alias <id> -c <context×parallel> -np <parallel> --metrics},
 * then {@code -ngl} when configured, {@code --embeddings --pooling <type>} for embedding models,
 * {@code --mmproj} when a projector lies beside the model, and the configured extra arguments last.
 * {@code --alias} makes the server report the model id Magi serves it under, so nothing is rewritten;
 * {@code --metrics} turns on its Prometheus endpoint, which Magi's own {@code /metrics} re-exports.
 */
public final class LlamaServerCommand {

  private LlamaServerCommand() {
  }

  /** The arguments, binary first. */
  public static List<String> build(String binary, ModelEntry model, int port) {
    List<String> command = new ArrayList<>();
    command.add(binary);
    command.add("-m");
    command.add(model.path().toString());
    command.add("--host");
    command.add("127.0.0.1");
    command.add("--port");
    command.add(Integer.toString(port));
    command.add("--alias");
    command.add(model.id());
    command.add("-c");
    command.add(Long.toString(model.launch().totalContext()));
    command.add("-np");
    command.add(Integer.toString(model.launch().parallel()));
    command.add("--metrics");
    if (model.launch().gpuLayers() >= 0) {
      command.add("-ngl");
      command.add(Integer.toString(model.launch().gpuLayers()));
    }
    if (model.kind() == ModelKind.RERANK) {
      command.add("--reranking");
    } else if (model.kind() == ModelKind.EMBEDDING) {
      command.add("--embeddings");
      String pooling = model.metadata().map(m -> m.poolingName()).orElse("mean");
      command.add("--pooling");
      command.add(pooling.isEmpty() ? "mean" : pooling);
    }
    model.mmproj().ifPresent(projector -> {
      command.add("--mmproj");
      command.add(projector.toString());
    });
    command.addAll(model.launch().args());
    return command;
  }
}
