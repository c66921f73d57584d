package dev.magi.gateway.api;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.Operation;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.magi.gateway.config.MagiConfig;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * The request parser and validator take any bytes a stranger sends: the only failure allowed is a
 * 400 {@link ApiException} whose message names no internals. Regression mode (the suite) runs the
 * seeds under {@code src/test/resources}; {@code JAZZER_FUZZ=1} fuzzes (see {@code scripts/fuzz}).
 */
class RequestParserFuzzTest {

  private static final RequestParser PARSER = new RequestParser(MagiConfig.defaults().limits());

  // A per-input limit (Jazzer passes it to libFuzzer as -timeout): an input that makes the parser hang
  // is a finding. Longer than the whole run, for JUnit may still apply it to the run as a whole.
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "10s")
  void anyBodyIsParsedOrRefusedWithA400(FuzzedDataProvider data) {
    Operation operation = data.pickValue(new Operation[] {Operation.CHAT, Operation.COMPLETION, Operation.EMBEDDING});
    byte[] body = data.consumeRemainingAsBytes();
    // The parser does not build a tree of the whole body; a whole parse with the same settings is the
    // oracle for what is valid JSON.
    boolean wholeParses;
    try {
      wholeParses = PARSER.mapper().readTree(body) instanceof com.fasterxml.jackson.databind.node.ObjectNode;
    } catch (java.io.IOException e) {
      wholeParses = false;
    }
    try {
      ApiRequest request = PARSER.parse(operation, Buffer.buffer(body));
      if (request.model() == null || request.model().isEmpty()) {
        throw new AssertionError("a parsed request has a model");
      }
      if (!wholeParses) {
        throw new AssertionError("accepted a body that a whole parse refuses");
      }
      request.body();
    } catch (ApiException e) {
      if (e.status() != 400) {
        throw new AssertionError("status " + e.status() + " for bad input: " + e.getMessage());
      }
      if (wholeParses && e.param() == null) {
        throw new AssertionError("refused as JSON a body that a whole parse accepts: " + e.getMessage());
      }
      // A message may quote the client's own bytes; anything else that names internals is a leak.
      String message = e.getMessage();
      String sent = new String(body, java.nio.charset.StandardCharsets.ISO_8859_1);
      for (String internal : new String[] {"`", "com.fasterxml", "jackson", "Exception", "dev.magi"}) {
        if (message.contains(internal) && !sent.contains(internal)) {
          throw new AssertionError("internals in a client's message: " + message);
        }
      }
    }
  }
}
