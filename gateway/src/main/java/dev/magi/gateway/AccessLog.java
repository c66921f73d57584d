package dev.magi.gateway;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The sampled access log: one line, in logfmt, for one request in {@code every}, and for every request
 * that failed (answered 5xx, or cut before its end), up to {@link #FAILURES_PER_SECOND} a second per
 * event loop. Refusals (4xx) are sampled like successes, except the first of each reason in a minute,
 * which is logged with the message the client got. Lines go to the {@code dev.magi.access} logger from a thread of their own, through a
 * bounded queue: an event loop never waits for the console, and when the queue is full a line is
 * dropped and counted rather than waited for.
 *
 * <p>A request that is not sampled costs a counter; nothing is formatted. What a line says is gathered by
 * the request's {@link RequestRecord}.
 */
final class AccessLog {

  /** Most failed requests logged per second and event loop beyond the sample. */
  static final int FAILURES_PER_SECOND = 20;
  private static final int QUEUE_LINES = 4096;
  private static final int LONGEST_FIELD = 200;
  private static final int LONGEST_MESSAGE = 400;
  /** Most refusal reasons whose last full line is remembered, per event loop. */
  static final int REASONS_REMEMBERED = 256;
  private static final Logger LOG = Logger.getLogger("dev.magi.access");
  private static final String SOURCE = AccessLog.class.getName();

  private final int every;
  private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(QUEUE_LINES);
  private final AtomicLong dropped = new AtomicLong();
  private volatile Thread writer;

  /** @param every one request in this many is logged; 0 turns the log off, failures included */
  AccessLog(int every) {
    this.every = every;
  }

  /** The sampling state of one event loop, confined to it; null when the log is off. */
  Sampler sampler() {
    return every == 0 ? null : new Sampler();
  }

  /** Decides, per request of one event loop, whether it is logged. */
  final class Sampler {

    private long requests;
    private long failureWindowNanos;
    private int failuresInWindow;
    private long failuresNotLogged;
    /** When a refusal of each reason was last logged in full ({@link System#nanoTime()}). */
    private final java.util.Map<String, Long> refusalsLogged = new java.util.HashMap<>();

    /** Whether the request now beginning is in the sample. */
    boolean sample() {
      return requests++ % every == 0;
    }

    /** Whether the sample admits a failed request now; counts those it turns away. */
    boolean admitFailure(long now) {
      if (now - failureWindowNanos >= 1_000_000_000L) {
        failureWindowNanos = now;
        failuresInWindow = 0;
      }
      if (failuresInWindow < FAILURES_PER_SECOND) {
        failuresInWindow++;
        return true;
      }
      failuresNotLogged++;
      return false;
    }

    /**
     * Whether a refusal for {@code reason} is the first of its kind in the last minute on this event
     * loop. The reasons remembered are bounded: past {@link #REASONS_REMEMBERED}, all are forgotten.
     */
    boolean firstOfReason(String reason, long now) {
      Long last = refusalsLogged.get(reason);
      if (last != null && now - last < 60_000_000_000L) {
        return false;
      }
      if (refusalsLogged.size() >= REASONS_REMEMBERED) {
        refusalsLogged.clear();
      }
      refusalsLogged.put(reason, now);
      return true;
    }

    /** Adds to a failed request's line how many failures were turned away since the last one logged. */
    void appendFailuresNotLogged(StringBuilder line) {
      if (failuresNotLogged > 0) {
        line.append(" failures_not_logged=").append(failuresNotLogged);
        failuresNotLogged = 0;
      }
    }

    /** Writes {@code line} to the log, from the writer thread. */
    void write(String line) {
      AccessLog.this.write(line);
    }
  }

  /** Hands {@code line} to the writer thread; drops it when the queue is full. */
  private void write(String line) {
    if (!lines.offer(line)) {
      dropped.incrementAndGet();
      return;
    }
    startWriter();
  }

  private void startWriter() {
    if (writer != null) {
      return;
    }
    synchronized (this) {
      if (writer == null) {
        Thread thread = new Thread(this::drain, "magi-access-log");
        thread.setDaemon(true);
        thread.start();
        writer = thread;
      }
    }
  }

  private void drain() {
    try {
      while (true) {
        String line = lines.take();
        long lost = dropped.getAndSet(0);
        // logp names the source itself: Logger.info would walk the stack to find it for every line.
        LOG.logp(Level.INFO, SOURCE, "request", lost == 0 ? line : line + " lines_dropped=" + lost);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A message (which may quote what a client sent) as one quoted logfmt value: quotes and backslashes
   * escaped, control characters replaced, and bounded in length.
   */
  static String quoted(String message) {
    int length = Math.min(message.length(), LONGEST_MESSAGE);
    StringBuilder safe = new StringBuilder(length + 8).append('"');
    for (int i = 0; i < length; i++) {
      char c = message.charAt(i);
      if (c == '"' || c == '\\') {
        safe.append('\\').append(c);
      } else {
        safe.append(c < ' ' || c == 0x7f ? ' ' : c);
      }
    }
    if (message.length() > LONGEST_MESSAGE) {
      safe.append("...");
    }
    return safe.append('"').toString();
  }

  /**
   * A client-controlled value made safe for one logfmt field: no spaces, quotes or control
   * characters, and bounded in length.
   */
  static String field(String value) {
    int length = Math.min(value.length(), LONGEST_FIELD);
    StringBuilder safe = new StringBuilder(length + 3);
    for (int i = 0; i < length; i++) {
      char c = value.charAt(i);
      safe.append(c > ' ' && c < 0x7f && c != '"' && c != '=' ? c : '_');
    }
    if (value.length() > LONGEST_FIELD) {
      safe.append("...");
    }
    return safe.toString();
  }
}
