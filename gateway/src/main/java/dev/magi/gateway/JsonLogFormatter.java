package dev.magi.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * {@code log.format: json}: one JSON object per line, for log collectors. Every line has {@code time}
 * (ISO-8601, UTC, milliseconds), {@code level}, {@code logger} and {@code message}; a line about a
 * request has its {@code request_id}; a throwable adds {@code error} and {@code stack}. An access-log
 * line's logfmt pairs become fields of their own ({@code status}, {@code ttft_ms}, ... as numbers
 * where they are numbers), its message being {@code request} and the message a refused client was
 * told {@code error_message}.
 */
final class JsonLogFormatter extends Formatter {

  private static final JsonFactory JSON = new JsonFactory();
  private static final String ACCESS_LOGGER = "dev.magi.access";

  @Override
  public String format(LogRecord record) {
    StringWriter out = new StringWriter(256);
    String message = formatMessage(record);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("time", record.getInstant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
      json.writeStringField("level", record.getLevel().getName());
      json.writeStringField("logger", String.valueOf(record.getLoggerName()));
      if (ACCESS_LOGGER.equals(record.getLoggerName())) {
        json.writeStringField("message", "request");
        for (String[] pair : Logfmt.pairs(message)) {
          // The line's own message (what a refused client was told) must not repeat the object's key.
          writeValue(json, pair[0].equals("message") ? "error_message" : pair[0], pair[1]);
        }
      } else {
        json.writeStringField("message", message);
        String requestId = Logfmt.value(message, "request_id");
        if (requestId != null) {
          json.writeStringField("request_id", requestId);
        }
      }
      if (record.getThrown() != null) {
        json.writeStringField("error", String.valueOf(record.getThrown()));
        StringWriter trace = new StringWriter();
        record.getThrown().printStackTrace(new PrintWriter(trace));
        json.writeStringField("stack", trace.toString());
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.append(System.lineSeparator()).toString();
  }

  /** A field as a number when it reads as one, else as text. */
  private static void writeValue(JsonGenerator json, String key, String value) throws IOException {
    if (value.matches("-?\\d{1,18}")) {
      json.writeNumberField(key, Long.parseLong(value));
    } else if (value.matches("-?\\d{1,15}\\.\\d{1,6}")) {
      json.writeNumberField(key, Double.parseDouble(value));
    } else {
      json.writeStringField(key, value);
    }
  }

  /** Reads the logfmt Magi writes: {@code key=value}, or {@code key="quoted \"value\""}, separated by spaces. */
  static final class Logfmt {

    private Logfmt() {
    }

    /** The pairs of {@code line}, in order; text that is not a pair is skipped. */
    static java.util.List<String[]> pairs(String line) {
      java.util.List<String[]> pairs = new java.util.ArrayList<>();
      int i = 0;
      int n = line.length();
      while (i < n) {
        while (i < n && line.charAt(i) == ' ') {
          i++;
        }
        int keyStart = i;
        while (i < n && line.charAt(i) != '=' && line.charAt(i) != ' ') {
          i++;
        }
        if (i >= n || line.charAt(i) != '=') {
          continue;
        }
        String key = line.substring(keyStart, i++);
        StringBuilder value = new StringBuilder();
        if (i < n && line.charAt(i) == '"') {
          i++;
          while (i < n && line.charAt(i) != '"') {
            char c = line.charAt(i++);
            if (c == '\\' && i < n) {
              c = line.charAt(i++);
            }
            value.append(c);
          }
          i++;
        } else {
          while (i < n && line.charAt(i) != ' ') {
            value.append(line.charAt(i++));
          }
        }
        if (!key.isEmpty()) {
          pairs.add(new String[] {key, value.toString()});
        }
      }
      return pairs;
    }

    /** The value of {@code key} in {@code line}, or null. */
    static String value(String line, String key) {
      if (!line.contains(key + "=")) {
        return null;
      }
      for (String[] pair : pairs(line)) {
        if (pair[0].equals(key)) {
          return pair[1];
        }
      }
      return null;
    }
  }
}
