package dev.magi.gateway.responses;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Ids of responses and their items: a prefix ({@code resp_}, {@code msg_}, {@code fc_}) and 48 random hex digits. */
final class ResponseIds {

  private ResponseIds() {
  }

  static String next(String prefix) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    HexFormat hex = HexFormat.of();
    return prefix + hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextLong())
        + hex.toHexDigits(random.nextLong());
  }
}
