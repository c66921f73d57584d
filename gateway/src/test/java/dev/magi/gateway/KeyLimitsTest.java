package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.magi.gateway.config.ConfigLoader;
import dev.magi.gateway.config.MagiConfig;
import dev.magi.proxy.api.ApiException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Keys' models and rates on one node, with a clock the test moves: a sliding minute. */
class KeyLimitsTest {

  private static MagiConfig config() {
    return ConfigLoader.fromYaml("auth:\n  keys:\n"
        + "    - {name: small, key: sk-small, models: [tiny], rpm: 3}\n"
        + "    - {name: tokens, key: sk-tokens, tpm: 100}\n", Map.of());
  }

  @Test
  void requestsAMinuteSlideAndModelsAreChecked() {
    MagiConfig config = config();
    AtomicLong now = new AtomicLong(60_000 * 1000);
    KeyLimits limits = new KeyLimits(config, now::get);
    MagiConfig.ClientKey small = config.clientKeys().get(0);

    assertEquals(403, assertThrows(ApiException.class, () -> limits.admit(small, "other")).status());
    for (int i = 0; i < 3; i++) {
      limits.admit(small, "tiny");
    }
    ApiException over = assertThrows(ApiException.class, () -> limits.admit(small, "tiny"));
    assertEquals(429, over.status());
    assertEquals("60", over.headers().get("Retry-After"));

    now.addAndGet(30_000);
    assertThrows(ApiException.class, () -> limits.admit(small, "tiny"), "the same minute: 3 already");
    now.addAndGet(60_000);
    limits.admit(small, "tiny");
    assertThrows(ApiException.class, () -> limits.admit(small, "tiny"),
        "half into the next minute: 1 + 3 x 0.5 = 2.5, one more would be 3.5");
    now.addAndGet(30_000);
    limits.admit(small, "tiny");
    limits.admit(small, "tiny");
    assertThrows(ApiException.class, () -> limits.admit(small, "tiny"), "a minute on: 2 + 1 x 1.0 = 3");
    limits.admit(null, "anything");
  }

  @Test
  void tokensCountOnceTheAnswerEnded() {
    MagiConfig config = config();
    AtomicLong now = new AtomicLong(60_000 * 2000);
    KeyLimits limits = new KeyLimits(config, now::get);
    MagiConfig.ClientKey tokens = config.clientKeys().get(1);

    limits.admit(tokens, "m");
    limits.tokens(tokens, 60);
    limits.admit(tokens, "m");
    limits.tokens(tokens, 60);
    assertEquals(429, assertThrows(ApiException.class, () -> limits.admit(tokens, "m")).status());
    assertEquals("tokens", limits.describe().at("/keys/1/name").asText());
    assertEquals(120, limits.describe().at("/keys/1/tokens_per_minute").asInt());
  }
}
