package dev.magi.router;

/** A request that could not be given a backend slot. */
public final class AdmissionException extends RuntimeException {

  /** Why admission failed. */
  public enum Reason {
    /** Every backend of the model was excluded (already tried) or ejected: nothing to wait for. */
    NO_BACKEND,
    /** The model's wait queue is full. */
    QUEUE_FULL,
    /** The request waited as long as allowed without a slot freeing up. */
    WAIT_EXPIRED,
    /** The model's servers were gone (restarting) for as long as the request was allowed to wait. */
    NOT_BACK_IN_TIME
  }

  private final Reason reason;

  public AdmissionException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  /** Why admission failed. */
  public Reason reason() {
    return reason;
  }
}
