package dev.magi.gateway;

import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.CallerContext;
import dev.magi.servers.LogRing;
import dev.magi.servers.ServerFleet;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GET /api/models/{name}/logs?follow=true}: a model server's log as Server-Sent Events, the last
 * {@code lines} first (100 by default), then each new line as it is printed; each event's {@code id} is
 * the line's number, so that a client that reconnects with {@code Last-Event-ID} goes on where it left
 * off (an {@code event: skipped} says lines were dropped before they could be sent). {@code : ping}
 * comments keep proxies from closing a quiet log. The log is looked at every {@link #POLL_MILLIS};
 * at most {@link #MAX_FOLLOWERS} follow at once.
 */
final class LogFollower {

  static final long POLL_MILLIS = 250;
  static final int MAX_FOLLOWERS = 64;
  static final long PING_MILLIS = 15_000;
  /** Most lines sent in one event-loop turn. */
  static final int BATCH = 1000;
  private static final AtomicInteger FOLLOWERS = new AtomicInteger();

  private final RoutingContext ctx;
  private final ServerFleet fleet;
  private final String name;
  private long seq;
  private long lastWriteMillis = System.currentTimeMillis();
  private long timer = -1;
  private boolean polling;

  private LogFollower(RoutingContext ctx, ServerFleet fleet, String name, long seq) {
    this.ctx = ctx;
    this.fleet = fleet;
    this.name = name;
    this.seq = seq;
  }

  static void follow(RoutingContext ctx, ServerFleet fleet, String name) {
    int tail = AdminApi.lineCount(ctx.request());
    long resumeFrom = -1;
    String lastId = ctx.request().getHeader("Last-Event-ID");
    if (lastId != null && lastId.matches("\\d{1,18}")) {
      resumeFrom = Long.parseLong(lastId);
    }
    if (FOLLOWERS.incrementAndGet() > MAX_FOLLOWERS) {
      FOLLOWERS.decrementAndGet();
      throw new ApiException(429, "rate_limit_error", null, "too_many_followers", "At most " + MAX_FOLLOWERS
          + " logs are followed at once.", java.util.Map.of("Retry-After", "5"));
    }
    long from = resumeFrom;
    CallerContext.resume(fleet.logSince(name, Math.max(0, from), Integer.MAX_VALUE)).onComplete(first -> {
      if (first.failed() || ctx.response().closed()) {
        FOLLOWERS.decrementAndGet();
        if (first.failed()) {
          ctx.fail(AdminApi.toApi(first.cause()));
        }
        return;
      }
      HttpServerResponse response = ctx.response();
      response.setStatusCode(200).putHeader("Content-Type", "text/event-stream")
          .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no").setChunked(true);
      LogRing.Lines lines = first.result();
      List<String> shown = from >= 0 ? lines.lines()
          : lines.lines().subList(Math.max(0, lines.lines().size() - tail), lines.lines().size());
      LogFollower follower = new LogFollower(ctx, fleet, name, lines.next() - shown.size());
      follower.send(new LogRing.Lines(lines.next(), shown, lines.skipped()));
      follower.timer = ctx.vertx().setPeriodic(POLL_MILLIS, id -> follower.poll());
      response.closeHandler(closed -> follower.stop());
      response.exceptionHandler(failed -> follower.stop());
    });
  }

  private void poll() {
    HttpServerResponse response = ctx.response();
    if (polling || response.closed() || response.writeQueueFull()) {
      return;
    }
    polling = true;
    CallerContext.resume(fleet.logSince(name, seq, BATCH)).onComplete(read -> {
      polling = false;
      if (response.closed()) {
        return;
      }
      if (read.succeeded()) {
        send(read.result());
      }
      if (System.currentTimeMillis() - lastWriteMillis >= PING_MILLIS) {
        write(Buffer.buffer(": ping\n\n"));
      }
    });
  }

  private void send(LogRing.Lines lines) {
    if (lines.next() < seq) {
      // The server started again: its log begins anew.
      seq = 0;
    }
    Buffer out = Buffer.buffer();
    if (lines.skipped()) {
      out.appendString("event: skipped\ndata: lines were dropped before they could be sent\n\n");
    }
    long id = lines.next() - lines.lines().size();
    for (String line : lines.lines()) {
      id++;
      // One line is one event; a line holds no newline, and a lone CR would end an SSE line early.
      out.appendString("id: " + id + "\ndata: " + line.replace('\r', ' ') + "\n\n");
    }
    seq = Math.max(seq, lines.next());
    if (out.length() > 0) {
      write(out);
    }
  }

  private void write(Buffer out) {
    lastWriteMillis = System.currentTimeMillis();
    ctx.response().write(out);
  }

  private void stop() {
    if (timer >= 0) {
      ctx.vertx().cancelTimer(timer);
      timer = -1;
      FOLLOWERS.decrementAndGet();
    }
  }
}
