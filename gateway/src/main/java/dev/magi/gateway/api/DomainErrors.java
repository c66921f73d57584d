package dev.magi.gateway.api;
import dev.magi.proxy.api.ApiException;

import dev.magi.models.ModelUnavailableException;
import dev.magi.models.ProfileException;
import dev.magi.servers.ServerException;

/**
 * The one place where the rooms' failure reasons become HTTP: status, OpenAI error type and code. The
 * rooms say why something failed; only the gateway knows it speaks HTTP.
 */
public final class DomainErrors {

  private DomainErrors() {
  }

  /** The error a client gets for a model server that cannot be started or found. */
  public static ApiException of(ServerException failure) {
    return switch (failure.reason()) {
      case MODEL_NOT_FOUND -> client(404, "model_not_found", failure);
      case SERVER_NOT_FOUND -> client(404, "server_not_found", failure);
      case MODEL_INVALID -> client(409, "model_invalid", failure);
      case STOPPED -> client(409, "stopped", failure);
      case BINARY_NOT_FOUND -> server(500, "binary_not_found", failure);
      case SPAWN_FAILED -> server(500, "spawn_failed", failure);
      case START_FAILED -> server(500, "start_failed", failure);
      case EXITED_WHILE_LOADING -> server(502, "start_failed", failure);
      case NO_PORT_AVAILABLE -> server(503, "no_port_available", failure);
      case START_TIMEOUT -> server(504, "start_timeout", failure);
    };
  }

  /** The error a client gets for a profile activation that cannot happen. */
  public static ApiException of(ProfileException failure) {
    return switch (failure.reason()) {
      case PROFILE_NOT_FOUND -> new ApiException(404, "invalid_request_error", "profile_name", "profile_not_found",
          failure.getMessage());
      case SWITCH_IN_PROGRESS -> client(409, "switch_in_progress", failure);
      case MEMORY_BUDGET_EXCEEDED -> client(409, "memory_budget_exceeded", failure);
    };
  }

  /**
   * The error a client gets for a known model that cannot serve it now: always a 503, with
   * {@code Retry-After} when trying again soon may succeed.
   */
  public static ApiException of(ModelUnavailableException failure) {
    return switch (failure.reason()) {
      case NOT_LOADED -> server(503, "model_not_loaded", failure);
      case INSUFFICIENT_MEMORY -> server(503, "insufficient_memory", failure);
      case LOAD_FAILED -> ApiException.retryable("model_load_failed", failure.getMessage());
      case NOT_READY_IN_TIME -> ApiException.retryable("model_unavailable", failure.getMessage());
    };
  }

  private static ApiException client(int status, String code, RuntimeException failure) {
    return new ApiException(status, "invalid_request_error", null, code, failure.getMessage());
  }

  private static ApiException server(int status, String code, RuntimeException failure) {
    return new ApiException(status, "server_error", null, code, failure.getMessage());
  }
}
