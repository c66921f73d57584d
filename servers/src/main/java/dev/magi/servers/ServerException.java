package dev.magi.servers;

/**
 * A model server that cannot be started or found, with the {@link Reason} why. What a client is told
 * (status, code) is the gateway's to decide, in one place.
 */
public final class ServerException extends RuntimeException {

  /** Why a server could not be started or found. */
  public enum Reason {
    /** No model of that name in the registry. */
    MODEL_NOT_FOUND,
    /** No server of that model was started. */
    SERVER_NOT_FOUND,
    /** The model's file cannot be served (unreadable header, unknown architecture, ...). */
    MODEL_INVALID,
    /** The llama-server binary is missing or not executable. */
    BINARY_NOT_FOUND,
    /** The operating system refused to start the process. */
    SPAWN_FAILED,
    /** Every port of the range is leased. */
    NO_PORT_AVAILABLE,
    /** The process exited while it was loading its model. */
    EXITED_WHILE_LOADING,
    /** The process did not become healthy within the startup time. */
    START_TIMEOUT,
    /** Starting failed for another reason. */
    START_FAILED,
    /** The server was stopped while it was starting. */
    STOPPED
  }

  private final Reason reason;

  public ServerException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  /** Why. */
  public Reason reason() {
    return reason;
  }
}
