package dev.magi.gateway.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The HTTP/1.1 client the proxy sends to backends with: Netty's codec on the event loop of one Vert.x
 * context, and keep-alive connections pooled per origin (host, port, TLS).
 *
 * <p>It does what the proxy needs and no more: one request per connection at a time, the request
 * body sent whole, the answer streamed with pause and resume. It exists because a held stream keeps
 * its upstream connection for minutes: a Vert.x 5.0 client connection costs about 8 KB of heap beyond
 * Netty's channel (an outbound queue whose first chunk is an {@code Object[1025]}, a context, and
 * request, response and stream objects), and with thousands of streams that state is what the
 * collector copies. A connection here costs Netty's channel and codec plus about 100 bytes.
 *
 * <p>Every method must be called on the context's event loop, and every callback runs there, inside
 * the context (so that {@code Vertx.currentContext()} is the caller's). Connections idle for longer
 * than the keep-alive time are closed; a backend that closes one first costs nothing but the
 * connection. Host names are resolved with Vert.x's asynchronous resolver.
 */
public final class UpstreamClient {

  private final ContextInternal context;
  private final Bootstrap bootstrap;
  private final long keepAliveNanos;
  private final Map<Origin, ArrayDeque<UpstreamConnection>> idle = new HashMap<>();
  private final long sweepTimer;
  private final TrustManagerFactory trust;
  /** Built on a worker the first time a TLS backend is called: building it reads the JDK trust store. */
  private Future<SslContext> tls;
  private boolean closed;

  /** Where requests go: connections are shared only between requests to the same origin. */
  record Origin(String host, int port, boolean ssl) {
  }

  /**
   * @param vertx the Vert.x instance, called on the context whose event loop this client will use
   * @param connectTimeout how long a connection may take to open
   * @param keepAlive how long an idle connection is kept for reuse
   */
  public UpstreamClient(Vertx vertx, Duration connectTimeout, Duration keepAlive) {
    this(vertx, connectTimeout, keepAlive, null);
  }

  /**
   * @param trust the certificates TLS backends are checked against; null for the JDK's trust store
   */
  UpstreamClient(Vertx vertx, Duration connectTimeout, Duration keepAlive, TrustManagerFactory trust) {
    this.trust = trust;
    VertxInternal internal = (VertxInternal) vertx;
    this.context = internal.getOrCreateContext();
    this.keepAliveNanos = keepAlive.toNanos();
    this.bootstrap = new Bootstrap()
        .group(context.nettyEventLoop())
        .channelFactory(internal.transport().channelFactory(false))
        .resolver(internal.nameResolver().nettyAddressResolverGroup())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true);
    long sweepMillis = Math.max(100, keepAlive.toMillis() / 2);
    this.sweepTimer = vertx.setPeriodic(sweepMillis, id -> closeExpired(System.nanoTime()));
  }

  /**
   * Sends a POST with {@code body} to {@code path} at {@code origin}, on a pooled connection or a new
   * one.
   *
   * @param headers the request's headers; {@code Host} and {@code Content-Length} are set here
   * @param idleTimeoutMillis how long the backend may stay silent before the call fails with a
   *     {@link java.util.concurrent.TimeoutException}; 0 for no limit
   * @return the call, whose {@link UpstreamCall#response()} completes with the answer's head
   */
  UpstreamCall post(Origin origin, String path, HttpHeaders headers, Buffer body, long idleTimeoutMillis) {
    UpstreamCall call = new UpstreamCall(context, idleTimeoutMillis);
    if (closed) {
      call.fail(new IllegalStateException("the upstream client is closed"));
      return call;
    }
    headers.set(HttpHeaderNames.HOST, hostHeader(origin));
    headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length());
    UpstreamConnection pooled = takeIdle(origin);
    if (pooled == null) {
      sendOnNewConnection(origin, call, request(path, headers, body));
      return call;
    }
    // The backend may be closing this idle connection while the request goes out. If the connection
    // is lost before any byte of the answer, the request is sent once more, on a new connection
    // (as OkHttp does with a stale pooled connection); a new connection that fails is not retried.
    call.resendWith(() -> sendOnNewConnection(origin, call, request(path, headers, body)));
    pooled.send(call, request(path, headers, body));
    return call;
  }

  private void sendOnNewConnection(Origin origin, UpstreamCall call, FullHttpRequest request) {
    connect(origin).onComplete(opened -> {
      if (opened.failed()) {
        request.release();
        call.fail(opened.cause());
      } else if (call.isReset()) {
        request.release();
        opened.result().close();
      } else {
        opened.result().pipeline().get(UpstreamConnection.class).send(call, request);
      }
    });
  }

  /** A request whose body is a view of {@code body}: nothing is copied before the socket write. */
  private static FullHttpRequest request(String path, HttpHeaders headers, Buffer body) {
    return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
        ((BufferInternal) body).getByteBuf(), headers, HttpHeaders.EMPTY_HEADERS);
  }

  /** Closes every idle connection and stops pooling; calls in flight keep their connections. */
  public void close() {
    closed = true;
    context.owner().cancelTimer(sweepTimer);
    for (ArrayDeque<UpstreamConnection> connections : idle.values()) {
      connections.forEach(UpstreamConnection::close);
    }
    idle.clear();
  }

  /** Returns a connection whose answer ended cleanly and that may carry another request. */
  void release(UpstreamConnection connection) {
    if (closed) {
      connection.close();
      return;
    }
    connection.idleSince(System.nanoTime());
    idle.computeIfAbsent(connection.origin(), o -> new ArrayDeque<>()).addLast(connection);
  }

  /** The most recently used live connection to {@code origin}, or null. */
  private UpstreamConnection takeIdle(Origin origin) {
    ArrayDeque<UpstreamConnection> connections = idle.get(origin);
    if (connections == null) {
      return null;
    }
    long now = System.nanoTime();
    UpstreamConnection connection;
    while ((connection = connections.pollLast()) != null) {
      if (connection.isOpen() && now - connection.idleSince() < keepAliveNanos) {
        return connection;
      }
      connection.close();
    }
    return null;
  }

  private void closeExpired(long now) {
    for (Iterator<ArrayDeque<UpstreamConnection>> pools = idle.values().iterator(); pools.hasNext(); ) {
      ArrayDeque<UpstreamConnection> connections = pools.next();
      // Oldest first: stop at the first connection young enough to keep.
      UpstreamConnection oldest;
      while ((oldest = connections.peekFirst()) != null
          && (!oldest.isOpen() || now - oldest.idleSince() >= keepAliveNanos)) {
        connections.pollFirst().close();
      }
      if (connections.isEmpty()) {
        pools.remove();
      }
    }
  }

  /** Opens a connection to {@code origin}; the outcome arrives on the client's context. */
  private Future<Channel> connect(Origin origin) {
    if (!origin.ssl()) {
      return open(origin, null);
    }
    if (tls == null) {
      tls = context.executeBlocking(() -> SslContextBuilder.forClient().trustManager(trust).build());
    }
    return tls.compose(security -> open(origin, security));
  }

  private Future<Channel> open(Origin origin, SslContext security) {
    Promise<Channel> opened = context.promise();
    Bootstrap opening = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel channel) {
        if (security != null) {
          channel.pipeline().addLast(tlsHandler(security, channel, origin));
        }
        channel.pipeline().addLast(new HttpClientCodec());
        channel.pipeline().addLast(new UpstreamConnection(UpstreamClient.this, context, origin));
      }
    });
    opening.connect(origin.host(), origin.port()).addListener((ChannelFuture connected) -> context.dispatch(() -> {
      if (connected.isSuccess()) {
        opened.complete(connected.channel());
      } else {
        opened.fail(connected.cause());
      }
    }));
    return opened.future();
  }

  private static SslHandler tlsHandler(SslContext security, Channel channel, Origin origin) {
    SSLEngine engine = security.newEngine(channel.alloc(), origin.host(), origin.port());
    SSLParameters parameters = engine.getSSLParameters();
    // Check that the certificate names the host, as a browser would.
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    engine.setSSLParameters(parameters);
    return new SslHandler(engine);
  }

  private static String hostHeader(Origin origin) {
    int defaultPort = origin.ssl() ? 443 : 80;
    String host = origin.host().contains(":") ? "[" + origin.host() + "]" : origin.host();
    return origin.port() == defaultPort ? host : host + ":" + origin.port();
  }
}
