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
  }

  /** The last {@code count} lines, oldest first; fewer when fewer were printed. */
  public synchronized List<String> tail(int count) {
    List<String> all = new ArrayList<>(lines);
    return List.copyOf(all.subList(Math.max(0, all.size() - count), all.size()));
  }
}
