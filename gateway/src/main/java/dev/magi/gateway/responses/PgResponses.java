package dev.magi.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.Json;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Stored responses in PostgreSQL ({@code magi.responses}), when {@code DATABASE_URL} is set: they
 * outlive a restart and are shared by the nodes of a cluster. At most {@code limit} are kept, the least
 * recently used going first (a response read counts as used). Non-blocking (vertx-pg-client); every
 * call gives up after {@link #TIMEOUT_MILLIS}.
 */
final class PgResponses {

  static final long TIMEOUT_MILLIS = 2000;

  private final Pool pool;
  private final int limit;
  private Future<Void> schema;

  private PgResponses(Pool pool, int limit) {
    this.pool = pool;
    this.limit = limit;
  }

  /** A store at {@code url}, connected on first use. */
  static PgResponses connect(Vertx vertx, String url, Optional<String> password, int limit) {
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    password.ifPresent(options::setPassword);
    options.setReconnectAttempts(0);
    Pool pool = PgBuilder.pool()
        .with(new io.vertx.core.net.NetClientOptions().setConnectTimeout((int) TIMEOUT_MILLIS))
        .with(new PoolOptions().setMaxSize(4).setConnectionTimeout((int) TIMEOUT_MILLIS)
            .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectingTo(options)
        .using(vertx)
        .build();
    return new PgResponses(pool, limit);
  }

  private synchronized Future<Void> schema() {
    if (schema == null || schema.failed()) {
      schema = pool.query("CREATE SCHEMA IF NOT EXISTS magi").execute()
          .compose(done -> pool.query("CREATE TABLE IF NOT EXISTS magi.responses (id text PRIMARY KEY,"
              + " response jsonb NOT NULL, input jsonb NOT NULL, conversation jsonb NOT NULL, used_at bigint NOT NULL)")
              .execute())
          .compose(done -> pool.query("CREATE INDEX IF NOT EXISTS responses_used_at ON magi.responses (used_at)")
              .execute())
          .mapEmpty();
    }
    return schema;
  }

  /** Saves {@code stored}, then trims the table to its limit (an index walk of {@code limit} rows). */
  Future<Void> put(ResponseStore.Stored stored) {
    Future<Void> saved = bounded(schema().compose(ready -> pool.preparedQuery("INSERT INTO magi.responses"
        + " (id, response, input, conversation, used_at) VALUES ($1, $2::text::jsonb, $3::text::jsonb, $4::text::jsonb, $5)"
        + " ON CONFLICT (id) DO UPDATE SET response = EXCLUDED.response, used_at = EXCLUDED.used_at")
        .execute(Tuple.of(stored.response().get("id").asText(), Json.string(stored.response()),
            Json.string(stored.input()), Json.string(stored.conversation()), System.currentTimeMillis()))
        .mapEmpty()));
    return saved.compose(done -> trim());
  }

  /** Deletes all but the {@code limit} most recently used. */
  Future<Void> trim() {
    return bounded(schema().compose(ready -> pool.preparedQuery("DELETE FROM magi.responses WHERE id IN (SELECT id"
        + " FROM magi.responses ORDER BY used_at DESC OFFSET $1)").execute(Tuple.of(limit)).mapEmpty()));
  }

  /** The response, now counted as used; empty when none has that id. */
  Future<Optional<ResponseStore.Stored>> get(String id) {
    return bounded(schema().compose(ready -> pool.preparedQuery("UPDATE magi.responses SET used_at = $2 WHERE id = $1"
        + " RETURNING response::text, input::text, conversation::text")
        .execute(Tuple.of(id, System.currentTimeMillis()))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.<ResponseStore.Stored>empty();
          }
          Row row = rows.iterator().next();
          return Optional.of(new ResponseStore.Stored((ObjectNode) parse(row.getString(0)),
              (ArrayNode) parse(row.getString(1)), (ArrayNode) parse(row.getString(2))));
        })));
  }

  /** @return whether there was one */
  Future<Boolean> delete(String id) {
    return bounded(schema().compose(ready -> pool.preparedQuery("DELETE FROM magi.responses WHERE id = $1")
        .execute(Tuple.of(id)).map(rows -> rows.rowCount() > 0)));
  }

  private static JsonNode parse(String json) {
    return Json.parseOrNull(io.vertx.core.buffer.Buffer.buffer(json));
  }

  private <T> Future<T> bounded(Future<T> call) {
    return call.timeout(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
  }
}
