package dev.magi.gateway.rag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.Json;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * Requests to the gateway's own API over loopback, with a key it accepts: retrieval asks models
 * through the same routing, admission, loading and retries as any client.
 */
public final class Loopback {

  private final HttpClient client;
  private final IntSupplier port;
  private final Optional<String> apiKey;

  /**
   * An answer.
   *
   * @param status its HTTP status
   * @param json its body as JSON; null when it is not JSON
   * @param bytes its body
   */
  public record Answer(int status, JsonNode json, Buffer bytes) {

    /** The error message of an OpenAI-shaped error body, else the body itself. */
    String message() {
      return json == null ? bytes.toString() : json.path("error").path("message").asText(bytes.toString());
    }
  }

  /**
   * @param port the gateway's port, asked at each call (known only once it listens)
   * @param apiKey a key the gateway accepts, when keys are required
   */
  public Loopback(HttpClient client, IntSupplier port, Optional<String> apiKey) {
    this.client = client;
    this.port = port;
    this.apiKey = apiKey;
  }

  /** POSTs {@code body} to {@code path} of the gateway. */
  public Future<Answer> post(String path, ObjectNode body) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(port.getAsInt()).setURI(path).putHeader("Content-Type", "application/json");
    apiKey.ifPresent(key -> options.putHeader("Authorization", "Bearer " + key));
    return client.request(options)
        .compose(request -> request.send(Json.buffer(body)))
        .compose(response -> response.body().map(bytes -> new Answer(response.statusCode(), Json.parseOrNull(bytes),
            bytes)));
  }
}
