package dev.magi.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import io.vertx.ext.web.RoutingContext;

/**
 * The stored side of the Responses API: {@code GET} and {@code DELETE /v1/responses/{id}}, and
 * {@code GET /v1/responses/{id}/input_items}. ({@code POST /v1/responses} is the gateway's, since it
 * goes through the proxy.) Answered from the {@link ResponseStore}, in memory: nothing here blocks.
 */
public final class ResponsesApi {

  /** Most input items one page lists. */
  static final int MAX_PAGE = 100;

  private final ResponseStore store;

  public ResponsesApi(ResponseStore store) {
    this.store = store;
  }

  /** The store, for the gateway's {@code POST}. */
  public ResponseStore store() {
    return store;
  }

  /**
   * The conversation that {@code previous_response_id} continues, or null when the request names none.
   *
   * @throws ApiException 404 when no kept response has that id
   */
  public ArrayNode previous(JsonNode body) {
    JsonNode id = body == null ? null : body.get("previous_response_id");
    if (id == null || id.isNull()) {
      return null;
    }
    if (!id.isTextual()) {
      throw ApiException.invalid("previous_response_id", "'previous_response_id' must be a string.");
    }
    return stored(id.asText(), "previous_response_id").conversation();
  }

  public void get(RoutingContext ctx) {
    json(ctx, stored(ctx.pathParam("id"), null).response());
  }

  public void delete(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!store.delete(id)) {
      throw notFound(id, null);
    }
    json(ctx, Json.object().put("id", id).put("object", "response").put("deleted", true));
  }

  /** The request's own input items, newest first unless {@code order=asc}, after {@code after}, {@code limit} a page. */
  public void inputItems(RoutingContext ctx) {
    ArrayNode items = stored(ctx.pathParam("id"), null).input();
    String order = ctx.request().getParam("order", "desc");
    if (!order.equals("asc") && !order.equals("desc")) {
      throw ApiException.invalid("order", "'order' must be asc or desc.");
    }
    int limit;
    try {
      limit = Integer.parseInt(ctx.request().getParam("limit", "20"));
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > MAX_PAGE) {
      throw ApiException.invalid("limit", "'limit' must be an integer from 1 to " + MAX_PAGE + ".");
    }
    java.util.List<JsonNode> ordered = new java.util.ArrayList<>();
    items.forEach(ordered::add);
    if (order.equals("desc")) {
      java.util.Collections.reverse(ordered);
    }
    String after = ctx.request().getParam("after");
    int from = 0;
    if (after != null) {
      while (from < ordered.size() && !after.equals(ordered.get(from).path("id").asText())) {
        from++;
      }
      from++;
    }
    ObjectNode page = Json.object().put("object", "list");
    ArrayNode data = page.putArray("data");
    for (int i = from; i < ordered.size() && data.size() < limit; i++) {
      data.add(ordered.get(i));
    }
    page.put("first_id", data.isEmpty() ? null : data.get(0).path("id").asText());
    page.put("last_id", data.isEmpty() ? null : data.get(data.size() - 1).path("id").asText());
    page.put("has_more", from + data.size() < ordered.size());
    json(ctx, page);
  }

  private ResponseStore.Stored stored(String id, String param) {
    return store.get(id).orElseThrow(() -> notFound(id, param));
  }

  private static ApiException notFound(String id, String param) {
    return new ApiException(404, "invalid_request_error", param, "response_not_found",
        (param == null ? "Response" : "Previous response") + " with id '" + id + "' not found.");
  }

  private static void json(RoutingContext ctx, ObjectNode body) {
    ctx.response().putHeader("Content-Type", "application/json").end(Json.buffer(body));
  }
}
