package dev.magi.gateway.responses;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The responses kept for {@code previous_response_id}, {@code GET /v1/responses/{id}} and its input
 * items: at most {@code responses.store_limit}, the least recently used going first. In memory, and
 * with {@code DATABASE_URL} also in PostgreSQL ({@link PgResponses}), where they outlive a restart: the
 * memory then serves as the database's front, so that a response is found the moment its client has
 * it, whatever the database's delay. Shared by every event loop; the memory's lock is held for a map
 * operation only, and nothing here blocks.
 */
public final class ResponseStore {

  private static final Logger LOG = Logger.getLogger(ResponseStore.class.getName());

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

  private final Map<String, Stored> recent;
  /** Saves to the database not finished yet, which a stopping gateway waits for ({@link #flush}). */
  private final java.util.Set<Future<Void>> saving = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The database, when one is configured; else null. */
  private final PgResponses database;

  /** @param limit most responses kept */
  public ResponseStore(int limit) {
    this(limit, null);
  }

  private ResponseStore(int limit, PgResponses database) {
    this.database = database;
    this.recent = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Stored> eldest) {
        return size() > limit;
      }
    };
  }

  /** A store in memory and in the PostgreSQL database at {@code url}. */
  public static ResponseStore persistent(Vertx vertx, String url, Optional<String> password, int limit) {
    return new ResponseStore(limit, PgResponses.connect(vertx, url, password, limit));
  }

  /** Whether responses outlive a restart. */
  public boolean persistent() {
    return database != null;
  }

  /** Keeps {@code stored} under its response's id; a database that fails is logged, the memory keeps it. */
  public void put(Stored stored) {
    synchronized (recent) {
      recent.put(stored.response().get("id").asText(), stored);
    }
    if (database != null) {
      Future<Void> save = database.put(stored);
      saving.add(save);
      save.onComplete(done -> {
        saving.remove(save);
        if (done.failed()) {
          LOG.log(Level.WARNING, "a response could not be saved to the database (it is kept in memory): "
              + done.cause().getMessage());
        }
      });
    }
  }

  /** Completes once every save under way has ended, each within the database's timeout: for a gateway that stops. */
  public Future<Void> flush() {
    return Future.join(new java.util.ArrayList<>(saving)).<Void>mapEmpty().otherwiseEmpty();
  }

  /** The response with {@code id}; empty when none is kept. Fails when the database cannot be asked. */
  public Future<Optional<Stored>> get(String id) {
    Stored found;
    synchronized (recent) {
      found = recent.get(id);
    }
    if (found != null || database == null) {
      return Future.succeededFuture(Optional.ofNullable(found));
    }
    return database.get(id).onSuccess(stored -> stored.ifPresent(kept -> {
      synchronized (recent) {
        recent.put(id, kept);
      }
    }));
  }

  /** @return whether there was one; fails when the database cannot be asked */
  public Future<Boolean> delete(String id) {
    boolean here;
    synchronized (recent) {
      here = recent.remove(id) != null;
    }
    if (database == null) {
      return Future.succeededFuture(here);
    }
    return database.delete(id).map(there -> here || there);
  }
}
