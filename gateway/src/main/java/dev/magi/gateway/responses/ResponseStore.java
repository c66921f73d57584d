package dev.magi.gateway.responses;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The responses kept for {@code previous_response_id}, {@code GET /v1/responses/{id}} and its input
 * items: in memory, at most {@code responses.store_limit} of them, the least recently used going first.
 * Shared by every event loop; each call holds its lock for a map operation only.
 */
public final class ResponseStore {

  /**
   * One kept response.
   *
   * @param response the response object as the client got it
   * @param input the request's own input items
   * @param conversation the whole conversation it ended: the previous ones, its input and its output,
   *     as items; what a response that continues it starts from
   */
  public record Stored(ObjectNode response, ArrayNode input, ArrayNode conversation) {
  }

  private final Map<String, Stored> byId;

  /** @param limit most responses kept */
  public ResponseStore(int limit) {
    this.byId = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Stored> eldest) {
        return size() > limit;
      }
    };
  }

  /** Keeps {@code stored} under its response's id. */
  public synchronized void put(Stored stored) {
    byId.put(stored.response().get("id").asText(), stored);
  }

  public synchronized Optional<Stored> get(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** @return whether there was one */
  public synchronized boolean delete(String id) {
    return byId.remove(id) != null;
  }
}
