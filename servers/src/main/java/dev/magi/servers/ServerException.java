package dev.magi.servers;

/**
 * A model server that cannot be started or found. Carries an HTTP status and a machine-readable
 * code, which the gateway turns into its error response.
 */
public final class ServerException extends RuntimeException {

  private final int status;
  private final String code;

  /**
   * @param status the HTTP status that fits ({@code 404} unknown model, {@code 503} no port, ...)
   * @param code e.g. {@code model_not_found}, {@code no_port_available}, {@code start_failed}
   */
  public ServerException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  /** HTTP status. */
  public int status() {
    return status;
  }

  /** Machine-readable code. */
  public String code() {
    return code;
  }
}
