package dev.magi.retrieval;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * An uploaded file is untrusted input: any bytes, named as a PDF, an HTML page or text, give text or an
 * {@link IllegalArgumentException} with a reason. Nothing else is thrown, nothing hangs.
 */
class DocumentTextFuzzTest {

  private static final String[] NAMES = {"f.pdf", "f.html", "f.txt", "f.json"};

  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "10s")
  void anyUploadIsReadOrRefusedWithAClearError(FuzzedDataProvider data) {
    String name = NAMES[data.consumeInt(0, NAMES.length - 1)];
    byte[] bytes = data.consumeRemainingAsBytes();
    // Most random bytes are no PDF: start from a PDF header half of the time, so the parser goes further.
    if (name.endsWith(".pdf") && bytes.length > 0 && (bytes[0] & 1) == 0) {
      byte[] headed = new byte[bytes.length + 9];
      System.arraycopy("%PDF-1.7\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, headed, 0, 9);
      System.arraycopy(bytes, 0, headed, 9, bytes.length);
      bytes = headed;
    }
    try {
      DocumentText.extract(name, bytes, 1_000_000);
    } catch (IllegalArgumentException expected) {
      // the documented refusal
    }
  }
}
