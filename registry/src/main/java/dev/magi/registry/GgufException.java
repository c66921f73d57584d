package dev.magi.registry;

import java.io.IOException;

/** A GGUF file that cannot be read: truncated, corrupt, of another format, or with absurd lengths. */
public final class GgufException extends IOException {

  /** @param reason what is wrong, for a person: {@code truncated at byte 1024} */
  public GgufException(String reason) {
    super(reason);
  }
}
