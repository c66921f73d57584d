package dev.magi.proxy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * How many tokens an answer says it used, read off its bytes without parsing them: the last
 * {@code "prompt_tokens"} and {@code "completion_tokens"} of an OpenAI {@code usage} object, or, when
 * there is none, llama-server's {@code timings} ({@code prompt_n} plus {@code cache_n} prompt tokens,
 * {@code predicted_n} generated), which every llama-server stream carries on its last chunk whether or
 * not the client asked for usage.
 *
 * <p>Only the region given is scanned, from its end: callers hand over an answer's tail or one event,
 * never a whole body, so the cost is bounded whatever the answer's size.
 *
 * @param prompt tokens of the prompt (cached ones included)
 * @param completion tokens generated; 0 for an embedding
 */
record TokenCounts(long prompt, long completion) {

  /** How much of a whole body's end is scanned: usage comes last in every backend's answer. */
  static final int TAIL_BYTES = 1536;

  private static final byte[] PROMPT_TOKENS = ascii("\"prompt_tokens\":");
  private static final byte[] COMPLETION_TOKENS = ascii("\"completion_tokens\":");
  private static final byte[] PROMPT_N = ascii("\"prompt_n\":");
  private static final byte[] CACHE_N = ascii("\"cache_n\":");
  private static final byte[] PREDICTED_N = ascii("\"predicted_n\":");

  /** The counts in the last {@link #TAIL_BYTES} of {@code body}, or null when it names none. */
  static TokenCounts inTail(Buffer body) {
    ByteView bytes = ByteView.of(body);
    return in(bytes, Math.max(0, bytes.length() - TAIL_BYTES), bytes.length());
  }

  /** The counts in bytes {@code from} to {@code to} of {@code bytes}, or null when they name none. */
  static TokenCounts in(ByteView bytes, int from, int to) {
    // One pass from the end; each key's last value is the one that counts.
    long prompt = -1;
    long completion = -1;
    long evaluated = -1;
    long cached = -1;
    long predicted = -1;
    for (int at = to - 1; at >= from; at--) {
      if (bytes.at(at) != '"') {
        continue;
      }
      if (prompt < 0 && bytes.startsWith(at, to, PROMPT_TOKENS)) {
        prompt = number(bytes, at + PROMPT_TOKENS.length, to);
      } else if (completion < 0 && bytes.startsWith(at, to, COMPLETION_TOKENS)) {
        completion = number(bytes, at + COMPLETION_TOKENS.length, to);
      } else if (evaluated < 0 && bytes.startsWith(at, to, PROMPT_N)) {
        evaluated = number(bytes, at + PROMPT_N.length, to);
      } else if (cached < 0 && bytes.startsWith(at, to, CACHE_N)) {
        cached = number(bytes, at + CACHE_N.length, to);
      } else if (predicted < 0 && bytes.startsWith(at, to, PREDICTED_N)) {
        predicted = number(bytes, at + PREDICTED_N.length, to);
      }
      if (prompt >= 0 && completion >= 0) {
        break;
      }
    }
    if (prompt >= 0) {
      return new TokenCounts(prompt, Math.max(0, completion));
    }
    if (evaluated >= 0 && predicted >= 0) {
      return new TokenCounts(evaluated + Math.max(0, cached), predicted);
    }
    return null;
  }

  /** The whole number that begins at {@code at} (after spaces), or -1 when there is none. */
  private static long number(ByteView bytes, int at, int to) {
    int i = at;
    while (i < to && bytes.at(i) == ' ') {
      i++;
    }
    long value = 0;
    int digits = 0;
    while (i < to && digits < 15 && bytes.at(i) >= '0' && bytes.at(i) <= '9') {
      value = value * 10 + (bytes.at(i) - '0');
      i++;
      digits++;
    }
    return digits == 0 ? -1 : value;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
