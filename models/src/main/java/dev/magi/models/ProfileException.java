package dev.magi.models;

/**
 * A profile activation that cannot happen, with the {@link Reason} why. What a client is told is the
 * gateway's to decide, in one place.
 */
public final class ProfileException extends RuntimeException {

  /** Why an activation cannot happen. */
  public enum Reason {
    /** No profile of that name is configured. */
    PROFILE_NOT_FOUND,
    /** Another switch is under way. */
    SWITCH_IN_PROGRESS,
    /** The profile's local servers' memory estimates add up to more than its budget. */
    MEMORY_BUDGET_EXCEEDED
  }

  private final Reason reason;

  public ProfileException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  /** Why. */
  public Reason reason() {
    return reason;
  }
}
