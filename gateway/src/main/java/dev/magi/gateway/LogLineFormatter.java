package dev.magi.gateway;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * Magi's log line: {@code 2026-12-07 12:00:00 INFO dev.magi.access: message}, then the stack trace
 * of a throwable on the lines after; the same text as {@link java.util.logging.SimpleFormatter} with
 * the format {@link #FORMAT}, at a fraction of its cost. SimpleFormatter runs {@code String.format}
 * for every line, parsing the pattern and building a calendar date each time; with the access log's
 * lines at a few hundred a second under load that was about 1.7 % of the gateway's core. Here the
 * date and time are formatted once a second and the rest appended.
 */
final class LogLineFormatter extends Formatter {

  /** The equivalent {@link java.util.logging.SimpleFormatter} format. */
  static final String FORMAT = "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n";

  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** A second and its text. */
  private record Stamp(long epochSecond, String text) {
  }

  private final ZoneId zone;
  private volatile Stamp last = new Stamp(Long.MIN_VALUE, "");

  LogLineFormatter() {
    this(ZoneId.systemDefault());
  }

  LogLineFormatter(ZoneId zone) {
    this.zone = zone;
  }

  @Override
  public String format(LogRecord record) {
    String message = formatMessage(record);
    String logger = String.valueOf(record.getLoggerName());
    String level = record.getLevel().getLocalizedName();
    StringBuilder line = new StringBuilder(32 + level.length() + logger.length() + message.length())
        .append(stamp(record.getInstant())).append(' ').append(level).append(' ').append(logger).append(": ")
        .append(message);
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      try (PrintWriter writer = new PrintWriter(trace)) {
        writer.println();
        record.getThrown().printStackTrace(writer);
      }
      line.append(trace);
    }
    return line.append(System.lineSeparator()).toString();
  }

  private String stamp(Instant instant) {
    Stamp current = last;
    long second = instant.getEpochSecond();
    if (current.epochSecond() != second) {
      current = new Stamp(second, STAMP.format(Instant.ofEpochSecond(second).atZone(zone)));
      last = current;
    }
    return current.text();
  }
}
