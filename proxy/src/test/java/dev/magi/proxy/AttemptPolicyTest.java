package dev.magi.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.magi.proxy.AttemptPolicy.Decision;
import dev.magi.proxy.AttemptPolicy.Outcome;
import dev.magi.proxy.AttemptPolicy.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The attempt policy as a table, without sockets. */
class AttemptPolicyTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "200, ANSWERED", "204, ANSWERED", "302, ANSWERED",
      "400, CLIENT_ERROR", "404, CLIENT_ERROR", "413, CLIENT_ERROR",
      "429, BUSY", "503, UNAVAILABLE",
      "500, SERVER_ERROR", "502, SERVER_ERROR", "504, SERVER_ERROR"})
  void statusesAreOutcomes(int status, Outcome expected) {
    assertEquals(expected, AttemptPolicy.ofStatus(status));
  }

  @ParameterizedTest(name = "{0}: {1}, after one attempt {2}, after two {3}")
  @CsvSource({
      // Nothing reached the client and another backend may serve: retry, once.
      "UNREACHABLE,              GONE,    RETRY,  FAIL",
      "UNAVAILABLE,              NONE,    RETRY,  FAIL",
      "BROKE_BEFORE_FIRST_EVENT, GONE,    RETRY,  FAIL",
      "ENDED_WITHOUT_EVENT,      NONE,    RETRY,  FAIL",
      // The backend may have done the work, or the answer is the client's to see: no retry.
      "TIMED_OUT,                FAILURE, FAIL,   FAIL",
      "FIRST_EVENT_TIMED_OUT,    FAILURE, FAIL,   FAIL",
      "SERVER_ERROR,             FAILURE, FAIL,   FAIL",
      "BUSY,                     NONE,    FAIL,   FAIL",
      "CLIENT_ERROR,             SUCCESS, FAIL,   FAIL",
      "BROKE_MID_STREAM,         GONE,    FAIL,   FAIL",
      "ANSWERED,                 SUCCESS, COMMIT, COMMIT"})
  void eachOutcomeTeachesTheBackendAndDecides(Outcome outcome, Verdict verdict, Decision afterOne, Decision afterTwo) {
    assertEquals(verdict, outcome.verdict());
    assertEquals(afterOne, AttemptPolicy.after(outcome, 1));
    assertEquals(afterTwo, AttemptPolicy.after(outcome, 2));
  }

  @Test
  void aRequestGoesToTwoBackendsAtMost() {
    assertEquals(2, AttemptPolicy.MAX_ATTEMPTS);
    assertEquals(Decision.FAIL, AttemptPolicy.after(Outcome.UNREACHABLE, AttemptPolicy.MAX_ATTEMPTS));
  }
}
