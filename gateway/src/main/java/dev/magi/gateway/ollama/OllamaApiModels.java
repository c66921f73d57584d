package dev.magi.gateway.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.models.ModelLifecycle;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import dev.magi.registry.GgufMetadata;
import dev.magi.registry.ModelKind;
import dev.magi.router.BackendPool;
import dev.magi.router.RouteTable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * What Ollama's model endpoints answer, from what Magi knows: {@code /api/tags} (every model, running
 * or not, with details from its GGUF header where it has one), {@code /api/ps} (what is loaded),
 * {@code /api/show} (one model), {@code /api/version}. Pure over the route table and the local models'
 * views, read in memory.
 *
 * <p>Digests are the SHA-256 of the model's name: Magi has no Ollama manifests, and clients use the
 * digest only to tell models apart.
 */
public final class OllamaApiModels {

  /** The Ollama API version Magi answers as: the one whose endpoints and fields it serves. */
  public static final String VERSION = "0.12.0";

  private OllamaApiModels() {
  }

  private static final Instant FOREVER = Instant.parse("2318-01-01T00:00:00Z");

  /** {@code GET /api/tags}. */
  public static ObjectNode tags(RouteTable routes, ModelLifecycle lifecycle) {
    ObjectNode answer = Json.object();
    ArrayNode models = answer.putArray("models");
    Set<String> listed = new HashSet<>();
    for (BackendPool pool : routes.pools()) {
      listed.add(pool.modelId());
      models.add(tag(pool.modelId(), pool.created(), lifecycle.view(pool.modelId())));
    }
    for (ModelLifecycle.View view : lifecycle.views()) {
      if (listed.add(view.entry().id())) {
        models.add(tag(view.entry().id(), view.listedSince(), Optional.of(view)));
      }
    }
    return answer;
  }

  /** {@code GET /api/ps}: routable models; a local one with its memory estimate as its size. */
  public static ObjectNode running(RouteTable routes, ModelLifecycle lifecycle) {
    ObjectNode answer = Json.object();
    ArrayNode models = answer.putArray("models");
    for (BackendPool pool : routes.pools()) {
      Optional<ModelLifecycle.View> view = lifecycle.view(pool.modelId());
      ObjectNode model = models.addObject();
      model.put("name", pool.modelId()).put("model", pool.modelId())
          .put("size", view.map(ModelLifecycle.View::memoryEstimateBytes).orElse(0L))
          .put("digest", digest(pool.modelId()));
      model.set("details", details(view));
      // A model that idling does not unload is shown as Ollama shows one kept forever: far ahead.
      model.put("expires_at", lifecycle.expiresAt(pool.modelId()).orElse(FOREVER).atOffset(ZoneOffset.UTC).toString());
      model.put("size_vram", 0);
      view.flatMap(v -> v.entry().metadata()).ifPresent(meta -> model.put("context_length", meta.contextLength()));
    }
    return answer;
  }

  /**
   * {@code POST /api/show}.
   *
   * @throws ApiException 404 when Magi knows no model of that name
   */
  public static ObjectNode show(JsonNode body, RouteTable routes, ModelLifecycle lifecycle) {
    String name = body == null ? "" : body.path("model").asText(body.path("name").asText(""));
    if (name.isEmpty()) {
      throw ApiException.invalid("model", "model is required");
    }
    Optional<BackendPool> pool = routes.resolve(name);
    Optional<ModelLifecycle.View> view = lifecycle.view(pool.map(BackendPool::modelId).orElse(name));
    if (pool.isEmpty() && view.isEmpty()) {
      throw notFound(name);
    }
    ObjectNode answer = Json.object();
    answer.put("license", "").put("modelfile", "").put("parameters", "").put("template", "");
    answer.set("details", details(view));
    ObjectNode info = answer.putObject("model_info");
    Optional<GgufMetadata> metadata = view.flatMap(v -> v.entry().metadata());
    metadata.ifPresent(meta -> {
      info.put("general.architecture", meta.architecture());
      info.put("general.name", meta.name());
      info.put(meta.architecture() + ".context_length", meta.contextLength());
      info.put(meta.architecture() + ".embedding_length", meta.embeddingLength());
      info.put(meta.architecture() + ".block_count", meta.blockCount());
    });
    ArrayNode capabilities = answer.putArray("capabilities");
    boolean embedding = view.map(v -> v.entry().kind() == ModelKind.EMBEDDING).orElse(false);
    if (embedding) {
      capabilities.add("embedding");
    } else {
      capabilities.add("completion").add("tools");
    }
    answer.put("modified_at", pool.map(BackendPool::created).orElse(view.map(ModelLifecycle.View::listedSince)
        .orElse(Instant.EPOCH)).atOffset(ZoneOffset.UTC).toString());
    return answer;
  }

  /** {@code GET /api/version}. */
  public static ObjectNode version() {
    return Json.object().put("version", VERSION);
  }

  /** Ollama's 404 for a model it does not have. */
  public static ApiException notFound(String name) {
    return new ApiException(404, "invalid_request_error", "model", "model_not_found", "model '" + name
        + "' not found");
  }

  private static ObjectNode tag(String name, Instant modified, Optional<ModelLifecycle.View> view) {
    ObjectNode model = Json.object();
    model.put("name", name).put("model", name).put("modified_at", modified.atOffset(ZoneOffset.UTC).toString())
        .put("size", view.map(v -> v.entry().sizeBytes()).orElse(0L)).put("digest", digest(name));
    model.set("details", details(view));
    return model;
  }

  private static ObjectNode details(Optional<ModelLifecycle.View> view) {
    ObjectNode details = Json.object().put("parent_model", "").put("format", view.isPresent() ? "gguf" : "");
    Optional<GgufMetadata> metadata = view.flatMap(v -> v.entry().metadata());
    String family = metadata.map(GgufMetadata::architecture).orElse("");
    details.put("family", family);
    ArrayNode families = details.putArray("families");
    if (!family.isEmpty()) {
      families.add(family);
    }
    details.put("parameter_size", metadata.map(GgufMetadata::sizeLabel).orElse(""));
    details.put("quantization_level", metadata.map(GgufMetadata::quantization).orElse(""));
    return details;
  }

  private static String digest(String name) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
