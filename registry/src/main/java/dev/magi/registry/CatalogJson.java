package dev.magi.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The JSON form of the catalogue: {@code {"models":[...],"total":n,"updated_at":"..."}}, used both for
 * {@code GET /api/models/registry} and for the registry file on disk.
 */
public final class CatalogJson {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private CatalogJson() {
  }

  /** The whole catalogue. */
  public static ObjectNode catalog(Catalog catalog) {
    ObjectNode root = MAPPER.createObjectNode();
    ArrayNode models = root.putArray("models");
    catalog.models().forEach(m -> models.add(model(m)));
    root.put("total", catalog.models().size());
    root.put("updated_at", catalog.updatedAt().toString());
    return root;
  }

  /** One model with its GGUF metadata. */
  public static ObjectNode model(ModelEntry entry) {
    ObjectNode model = MAPPER.createObjectNode();
    model.put("id", entry.id());
    ArrayNode aliases = model.putArray("aliases");
    entry.aliases().forEach(aliases::add);
    model.put("file", entry.file());
    model.put("path", entry.path().toString());
    model.put("size_bytes", entry.sizeBytes());
    model.put("parts", entry.parts());
    model.put("kind", entry.kind().json());
    model.put("status", entry.valid() ? "valid" : "invalid");
    entry.invalidReason().ifPresent(reason -> model.put("error", reason));
    entry.mmproj().ifPresent(mmproj -> model.put("mmproj", mmproj.toString()));
    model.put("memory_estimate_bytes", entry.memoryEstimateBytes());
    ObjectNode launch = model.putObject("launch");
    launch.put("context", entry.launch().context());
    launch.put("parallel", entry.launch().parallel());
    launch.put("gpu_layers", entry.launch().gpuLayers());
    entry.metadata().ifPresent(gguf -> {
      ObjectNode meta = model.putObject("gguf");
      meta.put("version", gguf.version());
      meta.put("architecture", gguf.architecture());
      meta.put("name", gguf.name());
      meta.put("size_label", gguf.sizeLabel());
      meta.put("quantization", gguf.quantization());
      meta.put("context_length", gguf.contextLength());
      meta.put("block_count", gguf.blockCount());
      meta.put("embedding_length", gguf.embeddingLength());
      meta.put("head_count", gguf.headCount());
      meta.put("head_count_kv", gguf.headCountKv());
      meta.put("pooling_type", gguf.poolingType());
      meta.put("has_chat_template", gguf.hasChatTemplate());
      meta.put("tensor_count", gguf.tensorCount());
    });
    return model;
  }

  /**
   * Writes the catalogue to {@code file} atomically: a reader sees the old file or the new one, never
   * half of one. Blocking: call it from a worker thread.
   */
  public static void save(Catalog catalog, Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      Files.write(temp, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(catalog(catalog)));
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
