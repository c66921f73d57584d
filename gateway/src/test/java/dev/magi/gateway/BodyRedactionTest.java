package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What of a captured body an operator may see: everything but credentials. */
class BodyRedactionTest {

  private static String redact(String body, boolean truncated) {
    return BodyRedaction.redact(body.getBytes(StandardCharsets.UTF_8), truncated, List.of("magi-own-key-123"));
  }

  @Test
  void credentialsInAJsonBodyAreRedactedAndTheRestKept() {
    String shown = redact("{\"model\":\"qwen\",\"max_tokens\":5,\"api_key\":\"abc\",\"metadata\":{\"token\":\"t0k\","
        + "\"user\":\"ann\"},\"messages\":[{\"role\":\"user\",\"content\":\"my key is sk-abcdef123456 and "
        + "magi-own-key-123\"}],\"headers\":{\"Authorization\":\"Bearer xyz\"}}", false);

    assertTrue(shown.contains("\"max_tokens\" : 5"), shown);
    assertTrue(shown.contains("\"user\" : \"ann\""), shown);
    assertTrue(shown.contains("\"model\" : \"qwen\""), shown);
    for (String secret : List.of("abc\"", "t0k", "sk-abcdef123456", "magi-own-key-123", "xyz")) {
      assertFalse(shown.contains(secret), secret + " in " + shown);
    }
    assertTrue(shown.contains("\"api_key\" : \"[redacted]\""), shown);
    assertTrue(shown.contains("my key is [redacted] and [redacted]"), shown);
  }

  @Test
  void aTruncatedBodyIsRedactedAsText() {
    String shown = redact("{\"model\":\"qwen\",\"password\":\"hunter2\",\"messages\":[{\"content\":\"Bearer abc.def"
        + " magi-own-key-123 and more te", true);

    assertFalse(shown.contains("hunter2"), shown);
    assertFalse(shown.contains("abc.def"), shown);
    assertFalse(shown.contains("magi-own-key-123"), shown);
    assertTrue(shown.startsWith("{\"model\":\"qwen\",\"password\":\"[redacted]\""), shown);
  }

  @Test
  void aLongTruncatedStringIsRedactedInOneStep() {
    String shown = redact("{\"content\":\"" + "x\\\"y".repeat(20_000), true);
    assertTrue(shown.startsWith("{\"content\":\"x"), shown.substring(0, 20));
  }

  @Test
  void aBodyThatIsNotJsonIsKeptAsText() {
    assertEquals("plain words", redact("plain words", false));
  }
}
