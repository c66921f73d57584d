package dev.magi.proxy;

/**
 * What one attempt's outcome means, before anything has reached the client: what the backend's
 * outlier detection learns from it, and whether the exchange commits, tries another backend, or
 * fails. Pure: {@link Exchange} carries the decisions out (and asks the model's retry budget before a
 * retry, so that a failing backend cannot multiply the load on the others).
 */
final class AttemptPolicy {

  /** Most backends one request is sent to: the first, and one other. */
  static final int MAX_ATTEMPTS = 2;

  /** How an attempt ended, before anything reached the client. */
  enum Outcome {
    /** No connection, or it broke before an answer began: the backend is gone; another may serve. */
    UNREACHABLE(Verdict.GONE, true),
    /** No answer within {@code timeouts.non_streaming}: the backend took the request and may have done the work. */
    TIMED_OUT(Verdict.FAILURE, false),
    /** A stream sent no first event within {@code timeouts.first_token}. */
    FIRST_EVENT_TIMED_OUT(Verdict.FAILURE, false),
    /** 503: loading or draining, not unhealthy; another backend may serve. */
    UNAVAILABLE(Verdict.NONE, true),
    /** 429: busy, not unhealthy; the client is told to come back. */
    BUSY(Verdict.NONE, false),
    /** Another 5xx: the backend failed the request; its error is relayed. */
    SERVER_ERROR(Verdict.FAILURE, false),
    /** A 4xx but 429: the request is at fault, not the backend; its error is relayed. */
    CLIENT_ERROR(Verdict.SUCCESS, false),
    /** A stream broke before its first event. */
    BROKE_BEFORE_FIRST_EVENT(Verdict.GONE, true),
    /** A stream broke after events had gone out: it ends with an error event, never retried. */
    BROKE_MID_STREAM(Verdict.GONE, false),
    /** A stream ended without any event. */
    ENDED_WITHOUT_EVENT(Verdict.NONE, true),
    /** A 2xx whose body could not be read or translated. */
    BROKEN_ANSWER(Verdict.FAILURE, false),
    /** A 2xx: the backend answers. */
    ANSWERED(Verdict.SUCCESS, false);

    private final Verdict verdict;
    private final boolean retryable;

    Outcome(Verdict verdict, boolean retryable) {
      this.verdict = verdict;
      this.retryable = retryable;
    }

    /** What the backend's outlier detection learns. */
    Verdict verdict() {
      return verdict;
    }
  }

  /** What the backend's outlier detection learns from an outcome. */
  enum Verdict {
    /** It works. */
    SUCCESS,
    /** It failed a request. */
    FAILURE,
    /** It cannot be reached: ejected at once. */
    GONE,
    /** Nothing: busy or loading says nothing about its health. */
    NONE
  }

  /** What the exchange does next. */
  enum Decision {
    /** Relay the answer. */
    COMMIT,
    /** Try a backend not tried yet, if the model's retry budget allows. */
    RETRY,
    /** Answer the client with the attempt's error. */
    FAIL
  }

  private AttemptPolicy() {
  }

  /** The outcome of an answer with HTTP {@code status}. */
  static Outcome ofStatus(int status) {
    if (status < 400) {
      return Outcome.ANSWERED;
    }
    if (status == 503) {
      return Outcome.UNAVAILABLE;
    }
    if (status == 429) {
      return Outcome.BUSY;
    }
    return status >= 500 ? Outcome.SERVER_ERROR : Outcome.CLIENT_ERROR;
  }

  /** What to do after {@code outcome}, when {@code attemptsMade} backends have been tried. */
  static Decision after(Outcome outcome, int attemptsMade) {
    if (outcome == Outcome.ANSWERED) {
      return Decision.COMMIT;
    }
    return outcome.retryable && attemptsMade < MAX_ATTEMPTS ? Decision.RETRY : Decision.FAIL;
  }
}
