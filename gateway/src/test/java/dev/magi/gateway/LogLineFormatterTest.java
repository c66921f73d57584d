package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;

/** Magi's log lines are SimpleFormatter's, with its format, to the character. */
class LogLineFormatterTest {

  @Test
  void aLineIsWhatSimpleFormatterWritesWithTheSameFormat() {
    String before = System.getProperty("java.util.logging.SimpleFormatter.format");
    System.setProperty("java.util.logging.SimpleFormatter.format", LogLineFormatter.FORMAT);
    try {
      SimpleFormatter simple = new SimpleFormatter();
      LogLineFormatter lines = new LogLineFormatter();
      for (LogRecord record : records()) {
        assertEquals(simple.format(record), lines.format(record));
      }
    } finally {
      if (before == null) {
        System.clearProperty("java.util.logging.SimpleFormatter.format");
      } else {
        System.setProperty("java.util.logging.SimpleFormatter.format", before);
      }
    }
  }

  private static LogRecord[] records() {
    LogRecord plain = new LogRecord(Level.INFO, "id=req_1 method=POST status=200");
    plain.setLoggerName("dev.magi.access");
    plain.setInstant(Instant.parse("2026-12-07T12:00:00.250Z"));
    LogRecord sameSecond = new LogRecord(Level.WARNING, "second line");
    sameSecond.setLoggerName("dev.magi.gateway.Main");
    sameSecond.setInstant(Instant.parse("2026-12-07T12:00:00.900Z"));
    LogRecord withParameters = new LogRecord(Level.SEVERE, "failed on {0}");
    withParameters.setParameters(new Object[] {"/v1/chat/completions"});
    withParameters.setLoggerName("dev.magi.gateway.ApiVerticle");
    withParameters.setThrown(new IOException("broken pipe"));
    withParameters.setInstant(Instant.parse("2026-12-31T23:59:59.999Z"));
    LogRecord noLogger = new LogRecord(Level.FINE, "no logger name");
    noLogger.setInstant(Instant.parse("2027-01-01T00:00:01Z"));
    return new LogRecord[] {plain, sameSecond, withParameters, noLogger};
  }
}
