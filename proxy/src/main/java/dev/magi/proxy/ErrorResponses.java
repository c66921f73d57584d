package dev.magi.proxy;

import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ClientFace;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/** Writes an {@link ApiException} as an HTTP response: its status, its headers, its JSON body. */
public final class ErrorResponses {

  private ErrorResponses() {
  }

  /**
   * Sends {@code error} unless the response has already ended or its connection is gone.
   * Errors close nothing: the connection stays usable for the next request.
   */
  public static void send(HttpServerResponse response, ApiException error) {
    send(response, error, ClientFace.OPENAI);
  }

  /** As {@link #send(HttpServerResponse, ApiException)}, in the shape of {@code face}. */
  public static void send(HttpServerResponse response, ApiException error, ClientFace face) {
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      response.end(face.errorEvent(error));
      return;
    }
    response.setStatusCode(error.status());
    response.putHeader("Content-Type", "application/json");
    error.headers().forEach(response::putHeader);
    response.end(face.errorBody(error));
  }

  /**
   * Sends {@code error} with {@code Connection: close}, then closes the request's connection: for a
   * request after which nothing more on that connection can be read safely (it was malformed, or its
   * client stalled).
   */
  public static void sendAndClose(HttpServerRequest request, ApiException error) {
    request.response().putHeader("Connection", "close");
    send(request.response(), error);
    request.connection().close();
  }
}
