package dev.magi.registry;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * A GGUF file dropped into the models directory is untrusted input (Ollama and llama.cpp both had CVEs
 * in their GGUF parsing). Any bytes are read to metadata or refused with a {@link GgufException}:
 * nothing else is thrown, nothing is allocated beyond the reader's bounds, nothing hangs.
 */
class GgufReaderFuzzTest {

  private static final Path FILE;

  static {
    try {
      FILE = Files.createTempFile("gguf-fuzz-", ".gguf");
      FILE.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // A per-input limit (Jazzer passes it to libFuzzer as -timeout): an input that makes the parser hang
  // is a finding. Longer than the whole run, for JUnit may still apply it to the run as a whole.
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "10s")
  void anyFileIsReadOrRefusedWithAGgufException(byte[] bytes) throws IOException {
    Files.write(FILE, bytes);
    try {
      GgufReader.read(FILE);
    } catch (GgufException expected) {
      // the documented refusal
    }
  }
}
