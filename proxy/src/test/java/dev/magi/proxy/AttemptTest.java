package dev.magi.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.router.Backend;
import dev.magi.router.BackendType;
import dev.magi.router.Endpoint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hold an exchange has on one backend: released once, and what it tells its observer. */
class AttemptTest {

  private final Backend backend = new Backend(Endpoint.of(BackendType.OPENAI, "http://127.0.0.1:9", null), "m", "m", 2);
  private final List<String> heard = new ArrayList<>();
  private final ExchangeObserver observer = new ExchangeObserver() {
    @Override
    public void sent(Backend to, int attempt, long atNanos) {
      heard.add("sent " + attempt);
    }

    @Override
    public void outcome(Backend of, AttemptPolicy.Outcome outcome) {
      heard.add("outcome " + outcome);
    }

    @Override
    public void firstByte(Backend of, long nanos) {
      heard.add("firstByte");
    }

    @Override
    public void firstEvent(Backend of, long nanos) {
      heard.add("firstEvent");
    }
  };

  @Test
  void theLeaseIsReleasedOnceHoweverOftenTheAttemptIsEnded() {
    Attempt attempt = new Attempt(backend.begin(), 1, observer);
    backend.begin();
    assertEquals(2, backend.inFlight());

    attempt.end(AttemptPolicy.Outcome.UNREACHABLE);
    attempt.end(null);
    attempt.end(AttemptPolicy.Outcome.TIMED_OUT);

    assertEquals(1, backend.inFlight(), "one lease given back, the other still held");
    assertTrue(attempt.ended());
    assertEquals(List.of("sent 1", "outcome UNREACHABLE"), heard, "only the first end is told");
  }

  @Test
  void aStreamTellsItsFirstByteAtTheHeadAndItsFirstEventOnce() {
    Attempt attempt = new Attempt(backend.begin(), 2, observer);

    attempt.answered(true);
    attempt.firstEvent();
    attempt.firstEvent();
    attempt.end(null);

    assertEquals(List.of("sent 2", "outcome ANSWERED", "firstByte", "firstEvent"), heard);
    assertEquals(0, backend.inFlight());
  }

  @Test
  void aNonStreamedAnswersHeadIsAlsoItsFirstEvent() {
    Attempt attempt = new Attempt(backend.begin(), 1, observer);

    attempt.answered(false);
    attempt.firstEvent();

    assertEquals(List.of("sent 1", "outcome ANSWERED", "firstByte", "firstEvent"), heard);
  }
}
