package dev.magi.ports;

/** Every port of the range is leased, marked busy, or bound by someone else. */
public final class NoPortAvailableException extends RuntimeException {

  /** @param message which range was exhausted */
  public NoPortAvailableException(String message) {
    super(message, null, false, false);
  }
}
