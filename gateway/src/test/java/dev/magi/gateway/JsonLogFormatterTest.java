package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.gateway.config.ConfigException;
import dev.magi.gateway.config.ConfigLoader;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** {@code log.format: json}: one object per line, the access log's pairs as fields. */
class JsonLogFormatterTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final JsonLogFormatter formatter = new JsonLogFormatter();

  private JsonNode format(String logger, Level level, String message, Throwable thrown) throws Exception {
    LogRecord record = new LogRecord(level, message);
    record.setLoggerName(logger);
    record.setInstant(Instant.parse("2026-12-07T12:00:00.123456Z"));
    record.setThrown(thrown);
    String line = formatter.format(record);
    assertTrue(line.endsWith(System.lineSeparator()) && line.indexOf('\n') == line.length() - 1, "one line: " + line);
    return JSON.readTree(line);
  }

  @Test
  void anAccessLineBecomesFieldsWithNumbersAsNumbers() throws Exception {
    JsonNode line = format("dev.magi.access", Level.INFO, "request_id=abc:1 method=POST path=/v1/chat/completions "
        + "status=404 model=unknown ttft_ms=12.5 ms=13.0 prompt_tokens=31 completion_tokens=8 bytes=120 "
        + "client=127.0.0.1 error=model_not_found message=\"The model `x\\\"y` does not exist.\"", null);
    assertEquals("2026-12-07T12:00:00.123Z", line.get("time").asText());
    assertEquals("INFO", line.get("level").asText());
    assertEquals("request", line.get("message").asText());
    assertEquals("abc:1", line.get("request_id").asText());
    assertEquals(404, line.get("status").asInt());
    assertTrue(line.get("status").isNumber() && line.get("ttft_ms").isDouble(), line.toString());
    assertEquals(31, line.get("prompt_tokens").asLong());
    assertEquals("model_not_found", line.get("error").asText());
    assertEquals("The model `x\"y` does not exist.", line.get("error_message").asText());
  }

  @Test
  void otherLinesKeepTheirMessageAndNameTheirRequestAndFailure() throws Exception {
    JsonNode line = format("dev.magi.gateway.ApiVerticle", Level.SEVERE,
        "unexpected failure on POST /v1/chat/completions request_id=req_1", new IllegalStateException("boom"));
    assertEquals("SEVERE", line.get("level").asText());
    assertEquals("req_1", line.get("request_id").asText());
    assertEquals("java.lang.IllegalStateException: boom", line.get("error").asText());
    assertTrue(line.get("stack").asText().contains("at dev.magi.gateway.JsonLogFormatterTest"), line.toString());
    JsonNode plain = format("dev.magi.registry.ModelCatalog", Level.INFO, "model catalogue: 2 models", null);
    assertFalse(plain.has("request_id"));
    assertEquals("model catalogue: 2 models", plain.get("message").asText());
  }

  @Test
  void theFormatIsTextOrJson() {
    assertTrue(ConfigLoader.fromYaml("log: {format: json}", Map.of()).log().json());
    assertFalse(ConfigLoader.fromYaml("", Map.of()).log().json());
    assertTrue(ConfigLoader.fromYaml("", Map.of("MAGI_LOG_FORMAT", "json")).log().json());
    assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml("log: {format: xml}", Map.of()));
  }
}
