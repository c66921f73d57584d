package dev.magi.retrieval;

/**
 * The store cannot be reached (database down, hung, or refusing). Its message is for clients and names
 * no address; {@link #detail()} (the database's own words, with its address) is for the log only.
 */
public final class RetrievalUnavailableException extends RuntimeException {

  /** What clients are told. */
  public static final String MESSAGE = "The retrieval database is unavailable; try again later.";

  private final String detail;

  /** @param detail what went wrong, for the log (may name the database's address) */
  public RetrievalUnavailableException(String detail, Throwable cause) {
    super(MESSAGE, cause, false, false);
    this.detail = detail;
  }

  /** What went wrong, for the log: may name the database's address. */
  public String detail() {
    return detail;
  }
}
