package dev.magi.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.Json;
import dev.magi.gateway.responses.ResponseStore.Stored;
import dev.magi.proxy.api.CallerContext;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/**
 * The stored side of the Responses API: {@code GET} and {@code DELETE /v1/responses/{id}}, and
 * {@code GET /v1/responses/{id}/input_items}. ({@code POST /v1/responses} is the gateway's, since it
 * goes through the proxy.) Answered from the {@link ResponseStore}: nothing here blocks; answers
 * from the database come back to the request's event loop.
 */
public final class ResponsesApi {

  /** Most input items one page lists. */
  static final int MAX_PAGE = 100;

  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ResponsesApi.class.getName());

  private final ResponseStore store;

  public ResponsesApi(ResponseStore store) {
    this.store = store;
  }

  /** The store, for the gateway's {@code POST}. */
  public ResponseStore store() {
    return store;
  }

  /**
   * The conversation that {@code previous_response_id} continues, or null when the request names none;
   * on the calling event loop.
   *
   * @return a future failed with a 404 {@link ApiException} when no kept response has that id, or a 503
   *     when the store cannot be asked
   */
  public Future<ArrayNode> previous(JsonNode body) {
    JsonNode id = body == null ? null : body.get("previous_response_id");
    if (id == null || id.isNull()) {
      return Future.succeededFuture(null);
    }
    if (!id.isTextual()) {
      return Future.failedFuture(ApiException.invalid("previous_response_id",
          "'previous_response_id' must be a string."));
    }
    return stored(id.asText(), "previous_response_id").map(Stored::conversation);
  }

  public void get(RoutingContext ctx) {
    stored(ctx.pathParam("id"), null).onSuccess(found -> json(ctx, found.response())).onFailure(ctx::fail);
  }

  public void delete(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    CallerContext.resume(store.delete(id).recover(ResponsesApi::unavailable)).onSuccess(deleted -> {
      if (!deleted) {
        ctx.fail(notFound(id, null));
        return;
      }
      json(ctx, Json.object().put("id", id).put("object", "response").put("deleted", true));
    }).onFailure(ctx::fail);
  }

  /** The request's own input items, newest first unless {@code order=asc}, after {@code after}, {@code limit} a page. */
  public void inputItems(RoutingContext ctx) {
    // Checked before the store is asked: a refusal thrown here reaches the router's failure handler.
    String order = ctx.request().getParam("order", "desc");
    if (!order.equals("asc") && !order.equals("desc")) {
      throw ApiException.invalid("order", "'order' must be asc or desc.");
    }
    int limit = dev.magi.gateway.api.QueryParams.integer(ctx.request(), "limit", 20, 1, MAX_PAGE);
    stored(ctx.pathParam("id"), null).onSuccess(found -> page(ctx, found.input(), order, limit)).onFailure(ctx::fail);
  }

  private void page(RoutingContext ctx, ArrayNode items, String order, int limit) {
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

  /** The kept response, on the calling event loop; failed with a 404 or a 503 {@link ApiException}. */
  private Future<Stored> stored(String id, String param) {
    return CallerContext.resume(store.get(id).recover(ResponsesApi::unavailable)
        .compose(found -> found.map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(notFound(id, param)))));
  }

  /** The 503 for a store that could not be asked; what went wrong goes to the log, not to the client. */
  private static <T> Future<T> unavailable(Throwable failure) {
    if (failure instanceof ApiException api) {
      return Future.failedFuture(api);
    }
    LOG.log(java.util.logging.Level.WARNING, "the stored responses could not be read", failure);
    return Future.failedFuture(ApiException.retryable("response_store_unavailable",
        "The stored responses cannot be read now; try again shortly."));
  }

  private static ApiException notFound(String id, String param) {
    return new ApiException(404, "invalid_request_error", param, "response_not_found",
        (param == null ? "Response" : "Previous response") + " with id '" + id + "' not found.");
  }

  private static void json(RoutingContext ctx, ObjectNode body) {
    ctx.response().putHeader("Content-Type", "application/json").end(Json.buffer(body));
  }
}
