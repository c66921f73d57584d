package dev.magi.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LoadBalancerTest {

  private static List<Backend> backends(int count) {
    List<Backend> list = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      list.add(new Backend(Endpoint.of(BackendType.LLAMA_SERVER, "http://127.0.0.1:" + (9000 + i), null), "m", "m", 4));
    }
    return list;
  }

  @Test
  void roundRobinTakesTurns() {
    List<Backend> three = backends(3);
    LoadBalancer balancer = LoadBalancer.roundRobin();

    List<Backend> picked = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      picked.add(balancer.select(three));
    }

    assertEquals(List.of(three.get(0), three.get(1), three.get(2), three.get(0), three.get(1), three.get(2)), picked);
  }

  @Test
  void powerOfTwoChoicesNeverPicksTheBusiestOfTwo() {
    List<Backend> two = backends(2);
    two.get(0).begin();
    LoadBalancer balancer = LoadBalancer.powerOfTwoChoices(new SplittableRandom(42));

    for (int i = 0; i < 20; i++) {
      assertSame(two.get(1), balancer.select(two));
    }
  }

  @Test
  void powerOfTwoChoicesBreaksTiesByTimeToFirstEvent() {
    List<Backend> two = backends(2);
    two.get(0).recordFirstEvent(900);
    two.get(1).recordFirstEvent(40);
    LoadBalancer balancer = LoadBalancer.powerOfTwoChoices(new SplittableRandom(7));

    for (int i = 0; i < 20; i++) {
      assertSame(two.get(1), balancer.select(two));
    }
  }

  @Test
  void powerOfTwoChoicesSpreadsEvenlyWhenAllAreAlike() {
    List<Backend> four = backends(4);
    LoadBalancer balancer = LoadBalancer.powerOfTwoChoices(new SplittableRandom(1));
    Map<Backend, Integer> counts = new HashMap<>();

    for (int i = 0; i < 4000; i++) {
      counts.merge(balancer.select(four), 1, Integer::sum);
    }

    counts.values().forEach(count -> assertTrue(count > 700 && count < 1300, counts.toString()));
  }

  @Test
  void firstEventAverageWeighsTheNewestByAThird() {
    Backend backend = backends(1).get(0);
    backend.recordFirstEvent(100);
    backend.recordFirstEvent(200);

    assertEquals(130, backend.firstEventMillis(), 1e-9);
  }

  @Test
  void namesOfPolicies() {
    SplittableRandom random = new SplittableRandom();
    assertTrue(LoadBalancer.named("p2c", random).isPresent());
    assertSame(LoadBalancer.LEAST_OUTSTANDING, LoadBalancer.named("least_outstanding", random).orElseThrow());
    assertTrue(LoadBalancer.named("ROUND_ROBIN", random).isPresent());
    assertFalse(LoadBalancer.named("random", random).isPresent());
  }

  @Test
  void retryBudgetAllowsThreeAndThenAFifthOfActiveRequests() {
    RetryBudget budget = new RetryBudget();
    for (int i = 0; i < 3; i++) {
      assertTrue(budget.tryRetry());
    }
    assertFalse(budget.tryRetry(), "three retries and no traffic: no more");

    for (int i = 0; i < 20; i++) {
      budget.requestStarted();
    }
    assertTrue(budget.tryRetry(), "20 % of 20 active requests is 4");
    assertFalse(budget.tryRetry());
    budget.retryEnded();
    assertTrue(budget.tryRetry());
  }
}
