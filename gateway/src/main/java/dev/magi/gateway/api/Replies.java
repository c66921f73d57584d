package dev.magi.gateway.api;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.CallerContext;
import dev.magi.proxy.api.Json;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Function;

/** Answers for the JSON APIs: a future's result as a JSON body, or its failure through the error handler. */
public final class Replies {

  private Replies() {
  }

  /**
   * When {@code result} completes: 200 with {@code toJson} of it, or the failure mapped by
   * {@code toError} to an {@link ApiException}. Nothing is sent to a client that has left. Call it on
   * the request's event loop; the answer is written there, whichever context completes {@code result}.
   */
  public static <T> void respond(RoutingContext ctx, Future<T> result, Function<T, ObjectNode> toJson,
      Function<Throwable, ApiException> toError) {
    CallerContext.resume(result).onComplete(outcome -> {
      if (ctx.response().ended() || ctx.response().closed()) {
        return;
      }
      if (outcome.succeeded()) {
        ctx.response().putHeader("Content-Type", "application/json").end(Json.buffer(toJson.apply(outcome.result())));
      } else {
        ctx.fail(toError.apply(outcome.cause()));
      }
    });
  }

  /** OpenAI's list page: {@code {object: "list", data, first_id, last_id, has_more: false}}. */
  public static <T> ObjectNode page(List<T> items, Function<T, ObjectNode> toJson, Function<T, String> id) {
    ObjectNode page = Json.object();
    page.put("object", "list");
    ArrayNode data = page.putArray("data");
    items.forEach(item -> data.add(toJson.apply(item)));
    page.put("first_id", items.isEmpty() ? null : id.apply(items.get(0)));
    page.put("last_id", items.isEmpty() ? null : id.apply(items.get(items.size() - 1)));
    page.put("has_more", false);
    return page;
  }
}
