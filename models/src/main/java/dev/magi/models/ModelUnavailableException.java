package dev.magi.models;

/** A request for a model Magi knows could not be given a running server of it. */
public final class ModelUnavailableException extends RuntimeException {

  /** Why. */
  public enum Reason {
    /** The model is not loaded, and {@code models.load_on_request} is off. */
    NOT_LOADED,
    /** Loading it would exceed the memory budget, even after unloading every idle model. */
    INSUFFICIENT_MEMORY,
    /** Its server could not be started. */
    LOAD_FAILED,
    /** It did not become ready (loading, restarting, being replaced) within the wait allowed. */
    NOT_READY_IN_TIME
  }

  private final Reason reason;

  public ModelUnavailableException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  /** Why. */
  public Reason reason() {
    return reason;
  }
}
