package dev.magi.servers;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** The last lines a child printed, bounded in count and in line length. Thread-safe. */
public final class LogRing {

  /** Longer lines are cut to this many characters. */
  public static final int MAX_LINE = 4096;

  private final int capacity;
  private final ArrayDeque<String> lines;
  /** How many lines were ever added: the sequence number of the last one. */
  private long added;

  /**
   * Lines after a point of the log.
   *
   * @param next the sequence number of the last line given (where to go on from)
   * @param lines the lines, oldest first
   * @param skipped whether lines after the point were dropped before they could be read
   */
  public record Lines(long next, List<String> lines, boolean skipped) {
  }

  /** @param capacity how many lines are kept */
  public LogRing(int capacity) {
    this.capacity = capacity;
    this.lines = new ArrayDeque<>(capacity);
  }

  /** Adds a line, dropping the oldest when full. */
  public synchronized void add(String line) {
    if (lines.size() == capacity) {
      lines.removeFirst();
    }
    lines.addLast(line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "..." : line);
    added++;
  }

  /** The lines added after line {@code seq} (0: from the first kept), at most {@code max}. */
  public synchronized Lines since(long seq, int max) {
    if (seq > added) {
      // A point of another log (the server started again): from this one's start.
      seq = 0;
    }
    long first = added - lines.size() + 1;
    long from = Math.max(seq + 1, first);
    List<String> all = new ArrayList<>(lines);
    int start = (int) (from - first);
    int begin = Math.min(start, all.size());
    List<String> taken = List.copyOf(all.subList(begin, (int) Math.min(all.size(), (long) begin + max)));
    return new Lines(from - 1 + taken.size(), taken, seq + 1 < first && seq > 0);
  }

  /** The last {@code count} lines, oldest first; fewer when fewer were printed. */
  public synchronized List<String> tail(int count) {
    List<String> all = new ArrayList<>(lines);
    return List.copyOf(all.subList(Math.max(0, all.size() - count), all.size()));
  }
}
