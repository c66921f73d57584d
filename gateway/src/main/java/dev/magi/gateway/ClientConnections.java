package dev.magi.gateway;

import dev.magi.proxy.ErrorResponses;
import dev.magi.proxy.api.ApiException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The client connections of one event loop, and the deadlines that keep a slow or silent client from
 * holding one for ever (slow loris):
 * <ul>
 *   <li><b>header</b>: a new connection must complete its first request's line and headers within
 *       {@link Limits#header()};</li>
 *   <li><b>body</b>: a request whose body is still arriving must deliver a byte at least every
 *       {@link Limits#body()}, or it is answered 408 and its connection closed;</li>
 *   <li><b>idle</b>: a keep-alive connection with no request in flight is closed after
 *       {@link Limits#idle()}. A request whose body is in and whose answer is being written (a stream
 *       minutes long) is never idle: the stream has its own upstream timeouts and pings.</li>
 * </ul>
 * Between two requests on one connection the next request's headers are covered by the idle deadline,
 * not the header one: Vert.x reports a request only once its headers are complete.
 *
 * <p>Deadlines are checked by one periodic tick per event loop, not a timer per connection or request,
 * so a request costs one map lookup and two field writes; a connection is closed within one tick
 * ({@link #TICK_MILLIS}) of its deadline, in batches of {@link #CLOSE_BATCH} when many expire at once. Used on its event loop only, except {@link Count}, which every
 * event loop shares.
 */
final class ClientConnections {

  /** Granularity of the deadlines. */
  static final long TICK_MILLIS = 100;

  /**
   * Most connections closed in one turn of the event loop. A slow-loris attack opens thousands of
   * connections in a second, so thousands reach their deadline in the same tick; closing them in
   * batches, with the loop free to serve other connections between two batches, keeps a
   * well-behaved client's request from waiting behind all of them.
   */
  static final int CLOSE_BATCH = 128;

  /**
   * Deadlines and the cap on connections.
   *
   * @param header from accepting a connection to its first request's complete headers
   * @param body longest silence while a request's body is arriving
   * @param idle longest time a connection may wait for its next request
   * @param max most client connections open at once, over every event loop
   */
  record Limits(Duration header, Duration body, Duration idle, int max) {
  }

  /**
   * The number of client connections open over every event loop, and the refusals beyond the cap,
   * reported at most once a minute.
   */
  static final class Count {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(
        ClientConnections.class.getName());
    private static final long REPORT_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final int max;
    private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong lastReport = new java.util.concurrent.atomic.AtomicLong(
        System.nanoTime() - REPORT_EVERY_NANOS);

    Count(int max) {
      this.max = max;
    }

    /** Takes a place for a new connection; false, counted as refused, when all are taken. */
    boolean tryOpen() {
      if (open.incrementAndGet() <= max) {
        return true;
      }
      open.decrementAndGet();
      long total = refused.incrementAndGet();
      long now = System.nanoTime();
      long last = lastReport.get();
      if (now - last >= REPORT_EVERY_NANOS && lastReport.compareAndSet(last, now)) {
        LOG.warning("refusing client connections: " + max + " are open (server.max_connections); " + total
            + " refused so far");
      }
      return false;
    }

    /** Gives back the place of a connection that closed. */
    void closed() {
      open.decrementAndGet();
    }

    /** Connections open now. */
    int open() {
      return open.get();
    }
  }

  private final Limits limits;
  private final Count count;
  private final io.vertx.core.http.HttpServerOptions serverOptions;
  private final Map<HttpConnection, Tracked> tracked = new HashMap<>();
  /** Connections past a deadline, waiting for their turn to be closed. */
  private final ArrayDeque<Tracked> closing = new ArrayDeque<>();
  private final long timerId;
  private final Vertx vertx;
  /** The event loop's context, on which batches of closes are queued behind other events. */
  private final io.vertx.core.Context context;
  /** When the last tick ran: the clock requests are stamped with, so that a request reads no clock. */
  private long now = System.nanoTime();

  /** Starts watching on the calling event loop; {@code serverOptions} are the server's own. */
  ClientConnections(Vertx vertx, Limits limits, Count count, io.vertx.core.http.HttpServerOptions serverOptions) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.serverOptions = serverOptions;
    this.limits = limits;
    this.count = count;
    this.timerId = vertx.setPeriodic(TICK_MILLIS, id -> tick(System.nanoTime()));
  }

  /** Stops the tick; connections still open keep no deadline. */
  void stop() {
    vertx.cancelTimer(timerId);
  }

  /**
   * A new connection: closed at once when the cap is reached, else given a strict request decoder
   * ({@link StrictRequestDecoder}) and watched until it closes.
   */
  void accepted(HttpConnection connection) {
    if (!count.tryOpen()) {
      connection.close();
      return;
    }
    StrictRequestDecoder.install(connection, serverOptions);
    tracked.put(connection, new Tracked(connection, System.nanoTime()));
    connection.closeHandler(closed -> {
      tracked.remove(connection);
      count.closed();
    });
  }

  /** A request whose headers are complete; call it before anything else handles the request. */
  void began(HttpServerRequest request) {
    Tracked connection = tracked.get(request.connection());
    if (connection != null) {
      connection.began(request, now);
    }
  }

  /** Checks every connection's deadline as of {@code nowNanos}. */
  private void tick(long nowNanos) {
    now = nowNanos;
    boolean wasIdle = closing.isEmpty();
    for (Tracked connection : tracked.values()) {
      if (!connection.closing && connection.expired(nowNanos, limits)) {
        connection.closing = true;
        closing.add(connection);
      }
    }
    // Closed after the walk: a close handler may run at once and change the map.
    if (wasIdle && !closing.isEmpty()) {
      closeBatch();
    }
  }

  /** Closes up to {@link #CLOSE_BATCH} expired connections, and comes back for the rest after other events. */
  private void closeBatch() {
    for (int i = 0; i < CLOSE_BATCH && !closing.isEmpty(); i++) {
      closing.poll().close(limits);
    }
    if (!closing.isEmpty()) {
      context.runOnContext(next -> closeBatch());
    }
  }

  /** Requests whose answer has not ended, over this event loop's connections. */
  int inFlight() {
    int[] count = {0};
    tracked.values().forEach(connection -> connection.forEachInFlight(request -> count[0]++));
    return count[0];
  }

  /**
   * Ends every request still in flight, for a gateway that stops: one not answered yet gets
   * {@code error}; one whose answer has begun is cut (its connection reset, so that a partial body
   * cannot pass for a whole one). Streams relayed by the proxy are ended by it before this, with an
   * error event.
   *
   * @return how many requests were ended
   */
  int cutInFlight(ApiException error) {
    List<HttpServerRequest> open = new ArrayList<>();
    tracked.values().forEach(connection -> connection.forEachInFlight(open::add));
    for (HttpServerRequest request : open) {
      if (request.response().headWritten()) {
        request.response().reset();
      } else {
        request.response().putHeader("Connection", "close");
        ErrorResponses.send(request.response(), error);
      }
    }
    return open.size();
  }

  /** One connection and the requests it has in flight (more than one only with HTTP/2). */
  private static final class Tracked {
    private final HttpConnection connection;
    /** When the connection was accepted, or when it was last seen with nothing in flight. */
    private long idleSince;
    private boolean servedOne;
    private HttpServerRequest current;
    private List<HttpServerRequest> others;
    /** The current request's body bytes at the last tick, and when they last grew. */
    private long bodyBytes;
    private long bodyProgressAt;
    private HttpServerRequest stalled;
    /** Past a deadline and queued to be closed. */
    boolean closing;

    Tracked(HttpConnection connection, long acceptedAt) {
      this.connection = connection;
      this.idleSince = acceptedAt;
    }

    void began(HttpServerRequest request, long now) {
      servedOne = true;
      if (current == null || current.response().ended()) {
        current = request;
        bodyBytes = 0;
        bodyProgressAt = now;
        return;
      }
      if (others == null) {
        others = new ArrayList<>(2);
      }
      others.add(request);
    }

    /** Whether a deadline has passed; moves finished requests out on the way. */
    boolean expired(long now, Limits limits) {
      if (current != null && current.response().ended()) {
        current = null;
      }
      if (current == null && others != null && !others.isEmpty()) {
        others.removeIf(request -> request.response().ended());
        if (!others.isEmpty()) {
          current = others.remove(0);
          bodyBytes = current.bytesRead();
          bodyProgressAt = now;
        }
      }
      if (current == null) {
        if (idleSince == Long.MIN_VALUE) {
          idleSince = now;
        }
        long allowed = (servedOne ? limits.idle() : limits.header()).toNanos();
        return idleSince != Long.MIN_VALUE && now - idleSince >= allowed;
      }
      idleSince = Long.MIN_VALUE;
      if (current.isEnded()) {
        return false;
      }
      long read = current.bytesRead();
      if (read != bodyBytes) {
        bodyBytes = read;
        bodyProgressAt = now;
        return false;
      }
      if (now - bodyProgressAt >= limits.body().toNanos()) {
        stalled = current;
        return true;
      }
      return false;
    }

    void close(Limits limits) {
      if (stalled == null) {
        connection.close();
        return;
      }
      ErrorResponses.sendAndClose(stalled, new ApiException(408, "invalid_request_error", null,
          "request_timeout", "No byte of the request body arrived for " + limits.body().toMillis()
          + " ms (server.body_timeout)."));
    }

    /** Requests of this connection whose answer has not ended. */
    void forEachInFlight(java.util.function.Consumer<HttpServerRequest> action) {
      if (current != null && !current.response().ended()) {
        action.accept(current);
      }
      if (others != null) {
        for (HttpServerRequest request : List.copyOf(others)) {
          if (!request.response().ended()) {
            action.accept(request);
          }
        }
      }
    }
  }
}
