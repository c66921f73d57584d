package dev.magi.router;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Checks every endpoint periodically, off the request path, and records the verdict on it:
 * llama-server {@code GET /health} (200 ready, 503 loading), Ollama {@code GET /api/version},
 * OpenAI-compatible {@code GET /v1/models}. A check never loads a model.
 */
public final class ActiveHealthCheck {

  private static final Logger LOG = Logger.getLogger(ActiveHealthCheck.class.getName());

  private final Vertx vertx;
  private final HttpClient client;
  private final Supplier<? extends Iterable<Endpoint>> endpoints;
  private final long timeoutMillis;
  private long timerId = -1;

  /**
   * @param client used for the checks; create it on the context the checks should run on
   * @param endpoints what to check; asked again before every round
   * @param timeoutMillis how long one check may take before it counts as failed
   */
  public ActiveHealthCheck(Vertx vertx, HttpClient client, Supplier<? extends Iterable<Endpoint>> endpoints,
      long timeoutMillis) {
    this.vertx = vertx;
    this.client = client;
    this.endpoints = endpoints;
    this.timeoutMillis = timeoutMillis;
  }

  /** Checks every endpoint now, then every {@code intervalMillis}. */
  public void start(long intervalMillis) {
    checkAll();
    timerId = vertx.setPeriodic(intervalMillis, id -> checkAll());
  }

  /** Stops the periodic checks; checks under way finish on their own. */
  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  /** Checks every endpoint once; the future completes when all verdicts are recorded. */
  public Future<Void> checkAll() {
    var checks = new java.util.ArrayList<Future<Void>>();
    endpoints.get().forEach(endpoint -> checks.add(check(endpoint)));
    return Future.join(checks).mapEmpty();
  }

  /** Checks one endpoint and records the verdict; the future always succeeds. */
  public Future<Void> check(Endpoint endpoint) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
        .setHost(endpoint.host()).setPort(endpoint.port()).setSsl(endpoint.ssl())
        .setURI(endpoint.basePath() + healthPath(endpoint.type()))
        .setTimeout(timeoutMillis);
    endpoint.apiKey().ifPresent(key -> options.putHeader("Authorization", "Bearer " + key));
    return client.request(options)
        .compose(request -> request.send())
        .compose(response -> response.end().map(ignored -> response.statusCode()))
        .compose(status -> {
          if (status == 200) {
            Future<Void> slotsKnown = endpoint.type() == BackendType.LLAMA_SERVER && endpoint.discoveredSlots() == 0
                ? discoverSlots(endpoint) : Future.succeededFuture();
            return slotsKnown.map(ignored -> {
              record(endpoint, Health.HEALTHY, "");
              return (Void) null;
            });
          } else if (status == 503 && endpoint.type() == BackendType.LLAMA_SERVER) {
            record(endpoint, Health.LOADING, "loading model");
          } else {
            record(endpoint, Health.UNHEALTHY, "health check answered HTTP " + status);
          }
          return Future.<Void>succeededFuture();
        })
        .recover(failure -> {
          record(endpoint, Health.UNHEALTHY, String.valueOf(failure.getMessage()));
          return Future.succeededFuture();
        });
  }

  /**
   * Reads {@code total_slots} from llama-server's {@code GET /props} before the endpoint is first
   * called healthy, so no request is admitted by the type's default; the future always succeeds,
   * and a failure leaves the slots unknown (the next healthy check asks again).
   */
  private Future<Void> discoverSlots(Endpoint endpoint) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(endpoint.host())
        .setPort(endpoint.port()).setSsl(endpoint.ssl()).setURI(endpoint.basePath() + "/props")
        .setTimeout(timeoutMillis);
    endpoint.apiKey().ifPresent(key -> options.putHeader("Authorization", "Bearer " + key));
    return client.request(options)
        .compose(request -> request.send())
        .compose(response -> response.statusCode() == 200 ? response.body()
            : response.end().map(ignored -> (io.vertx.core.buffer.Buffer) null))
        .map(body -> {
          if (body == null || body.length() > 1 << 20) {
            return (Void) null;
          }
          java.util.regex.Matcher m = TOTAL_SLOTS.matcher(body.toString());
          if (m.find()) {
            int slots = Integer.parseInt(m.group(1));
            endpoint.recordSlots(slots);
            LOG.info(() -> endpoint + " has " + slots + " slots");
          }
          return (Void) null;
        })
        .otherwiseEmpty();
  }

  private static final java.util.regex.Pattern TOTAL_SLOTS = java.util.regex.Pattern.compile(
      "\"total_slots\"\\s*:\\s*(\\d{1,6})");

  private static void record(Endpoint endpoint, Health health, String error) {
    Health before = endpoint.health();
    endpoint.recordHealth(health, error);
    if (before != health) {
      LOG.info(() -> endpoint + " is " + health + (error.isEmpty() ? "" : " (" + error + ")"));
    }
  }

  /** The path whose answer tells whether an endpoint of {@code type} is ready. */
  static String healthPath(BackendType type) {
    return switch (type) {
      case LLAMA_SERVER -> "/health";
      case OLLAMA -> "/api/version";
      case OPENAI -> "/v1/models";
      case MAGI -> "/readyz";
    };
  }
}
