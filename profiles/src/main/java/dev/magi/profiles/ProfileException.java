package dev.magi.profiles;

/** An activation that cannot happen, with the HTTP status and code the admin API answers with. */
public final class ProfileException extends RuntimeException {

  private final int status;
  private final String code;

  public ProfileException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  /** HTTP status. */
  public int status() {
    return status;
  }

  /** Machine-readable code: {@code profile_not_found}, {@code memory_budget_exceeded}, {@code switch_in_progress}. */
  public String code() {
    return code;
  }
}
