package dev.magi.gateway;

import dev.magi.proxy.ExchangeObserver;
import dev.magi.router.Backend;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The sampled access log: one line, in logfmt, for one request in {@code every}, and for every request
 * that failed (answered 5xx, or cut before its end), up to {@link #FAILURES_PER_SECOND} a second per
 * event loop. Lines go to the {@code dev.magi.access} logger from a thread of their own, through a
 * bounded queue: an event loop never waits for the console, and when the queue is full a line is
 * dropped and counted rather than waited for.
 *
 * <p>A request that is not sampled costs a counter and one small handler; nothing is formatted.
 */
final class AccessLog {

  /** Most failed requests logged per second and event loop beyond the sample. */
  static final int FAILURES_PER_SECOND = 20;
  private static final int QUEUE_LINES = 4096;
  private static final int LONGEST_FIELD = 200;
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

  /** The sampling state of one event loop; confined to it. */
  Sampler sampler() {
    return new Sampler();
  }

  /** Decides, per request of one event loop, whether it is logged. */
  final class Sampler {

    private long requests;
    private long failureWindowNanos;
    private int failuresInWindow;
    private long failuresNotLogged;

    /**
     * Starts following a request: its line is written when its response ends or its connection
     * closes, if it is sampled or failed.
     *
     * @return the request's entry, on which the model may be noted; null when the log is off
     */
    Entry begin(HttpServerRequest request, String requestId) {
      if (every == 0) {
        return null;
      }
      Entry entry = new Entry(this, request, requestId, requests++ % every == 0);
      entry.response.endHandler(entry);
      return entry;
    }

    /** Whether the sample admits a failed request now; counts those it turns away. */
    private boolean admitFailure(long now) {
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
  }

  /**
   * One request followed to its end. It keeps what the line needs, not the request: the request a
   * router hands out is a wrapper that holds the whole routing context (body included), which a held
   * stream would otherwise keep for its whole life.
   */
  final class Entry implements Handler<Void>, ExchangeObserver {

    private final Sampler sampler;
    private final HttpServerResponse response;
    private final HttpConnection connection;
    private final HttpMethod method;
    private final String path;
    private final String requestId;
    private final boolean sampled;
    private final long startNanos = System.nanoTime();
    private String model;
    /** The endpoint of the last backend tried; null until one is. */
    private String backend;
    private int attempts;
    /** From sending to the backend to its first event (a whole answer's head), in ms; -1 until then. */
    private double firstEventMillis = -1;
    /** Why the exchange ended without its answer; null when it did not. */
    private String error;

    private Entry(Sampler sampler, HttpServerRequest request, String requestId, boolean sampled) {
      this.sampler = sampler;
      this.response = request.response();
      this.connection = request.connection();
      this.method = request.method();
      this.path = request.path();
      this.requestId = requestId;
      this.sampled = sampled;
    }

    /** Notes the model the request asked for. */
    void model(String name) {
      model = name;
    }

    /** Notes the backend the request is being sent to (its endpoint, not the object). */
    @Override
    public void sent(Backend tried, int attempt) {
      backend = tried.endpoint().name();
      attempts = attempt;
    }

    @Override
    public void firstEvent(Backend from, long nanos) {
      firstEventMillis = nanos / 1e6;
    }

    @Override
    public void failed(String code) {
      error = code;
    }

    @Override
    public void handle(Void ended) {
      long now = System.nanoTime();
      boolean cut = !response.ended();
      boolean failed = cut || response.getStatusCode() >= 500;
      if (!sampled && !(failed && sampler.admitFailure(now))) {
        return;
      }
      StringBuilder line = new StringBuilder(200)
          .append("id=").append(requestId)
          .append(" method=").append(method.name())
          .append(" path=").append(field(path))
          .append(" status=").append(response.getStatusCode());
      if (model != null) {
        line.append(" model=").append(field(model));
      }
      if (backend != null) {
        line.append(" backend=").append(field(backend));
        if (attempts > 1) {
          line.append(" attempts=").append(attempts);
        }
      }
      if (firstEventMillis >= 0) {
        line.append(" ttfe_ms=").append(Math.round(firstEventMillis * 10) / 10.0);
      }
      line.append(" ms=").append(Math.round((now - startNanos) / 100_000.0) / 10.0)
          .append(" bytes=").append(response.bytesWritten())
          .append(" client=").append(client());
      if (cut) {
        line.append(" outcome=cut");
      }
      if (error != null) {
        line.append(" error=").append(error);
      }
      if (failed && sampler.failuresNotLogged > 0) {
        line.append(" failures_not_logged=").append(sampler.failuresNotLogged);
        sampler.failuresNotLogged = 0;
      }
      write(line.toString());
    }

    private String client() {
      io.vertx.core.net.SocketAddress remote = connection.remoteAddress();
      return remote == null || remote.hostAddress() == null ? "-" : remote.hostAddress();
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
