package dev.magi.retrieval;

/** The store cannot be reached (database down, hung, or refusing). */
public final class RetrievalUnavailableException extends RuntimeException {

  public RetrievalUnavailableException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
