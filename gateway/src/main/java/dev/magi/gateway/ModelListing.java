package dev.magi.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.models.ModelLifecycle;
import dev.magi.proxy.api.Json;
import dev.magi.router.BackendPool;
import dev.magi.router.RouteTable;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * {@code GET /v1/models} and {@code GET /v1/models/{id}}: every model Magi knows, routable or not.
 * Each is an OpenAI model object with Magi's additions: {@code status} ({@code loaded},
 * {@code loading}, {@code unloaded}, {@code failed}), {@code status_reason} when failed,
 * {@code aliases}, and for local models {@code memory_estimate_bytes} (the figure the memory budget
 * counts) and {@code pinned}.
 */
final class ModelListing {

  private ModelListing() {
  }

  /** The list: routable models in route-table order, then local models that are not routable. */
  static ObjectNode list(RouteTable routes, ModelLifecycle lifecycle) {
    ObjectNode list = Json.object();
    list.put("object", "list");
    ArrayNode data = list.putArray("data");
    Set<String> listed = new HashSet<>();
    for (BackendPool pool : routes.pools()) {
      data.add(routable(pool, lifecycle));
      listed.add(pool.modelId());
    }
    for (ModelLifecycle.View view : lifecycle.views()) {
      if (listed.add(view.entry().id())) {
        data.add(local(view));
      }
    }
    return list;
  }

  /** One model by id or alias; empty when Magi knows no model of that name. */
  static Optional<ObjectNode> one(String name, RouteTable routes, ModelLifecycle lifecycle) {
    Optional<BackendPool> pool = routes.resolve(name);
    if (pool.isPresent()) {
      return Optional.of(routable(pool.get(), lifecycle));
    }
    return lifecycle.view(name).map(ModelListing::local);
  }

  private static ObjectNode routable(BackendPool pool, ModelLifecycle lifecycle) {
    ObjectNode model = Json.object();
    model.put("id", pool.modelId());
    model.put("object", "model");
    model.put("created", pool.created().getEpochSecond());
    model.put("owned_by", pool.ownedBy());
    model.put("status", ModelLifecycle.Status.LOADED.json());
    aliases(model, pool.aliases());
    lifecycle.view(pool.modelId()).ifPresent(view -> memory(model, view));
    return model;
  }

  private static ObjectNode local(ModelLifecycle.View view) {
    ObjectNode model = Json.object();
    model.put("id", view.entry().id());
    model.put("object", "model");
    model.put("created", view.listedSince().getEpochSecond());
    model.put("owned_by", "llamacpp");
    model.put("status", view.status().json());
    if (!view.reason().isEmpty()) {
      model.put("status_reason", view.reason());
    }
    aliases(model, view.entry().aliases());
    memory(model, view);
    return model;
  }

  private static void aliases(ObjectNode model, java.util.List<String> aliases) {
    if (!aliases.isEmpty()) {
      ArrayNode list = model.putArray("aliases");
      aliases.forEach(list::add);
    }
  }

  private static void memory(ObjectNode model, ModelLifecycle.View view) {
    model.put("memory_estimate_bytes", view.memoryEstimateBytes());
    model.put("pinned", view.pinned());
  }
}
