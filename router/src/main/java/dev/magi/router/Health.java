package dev.magi.router;

/** What the last active check of an endpoint found. */
public enum Health {
  /** Not checked yet. Requests may still be sent: the check may simply not have run. */
  UNKNOWN,
  /** Answered its health check: ready to serve. */
  HEALTHY,
  /** Up but still loading a model (llama-server's 503 "Loading model"). */
  LOADING,
  /** Refused, timed out or answered with an error. */
  UNHEALTHY;

  /** Whether requests should go to an endpoint in this state when a better one is not available. */
  public boolean mayServe() {
    return this == HEALTHY || this == UNKNOWN;
  }
}
