package dev.magi.gateway.api;

import dev.magi.proxy.api.ApiException;
import io.vertx.core.http.HttpServerRequest;

/** Query parameters of the admin and model APIs, checked in one way. */
public final class QueryParams {

  private QueryParams() {
  }

  /**
   * The whole number {@code name}, {@code otherwise} when the request has none.
   *
   * @throws ApiException 400 naming the parameter when it is not a whole number from {@code min} to {@code max}
   */
  public static int integer(HttpServerRequest request, String name, int otherwise, int min, int max) {
    String given = request.getParam(name);
    if (given == null) {
      return otherwise;
    }
    int value;
    try {
      value = Integer.parseInt(given);
    } catch (NumberFormatException e) {
      value = min - 1;
    }
    if (value < min || value > max) {
      throw ApiException.invalid(name, "'" + name + "' must be a whole number from " + min + " to " + max + ".");
    }
    return value;
  }
}
