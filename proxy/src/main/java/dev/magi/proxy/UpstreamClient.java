package dev.magi.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpResponseDecoder;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
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
  private final Map<Origin, OriginPool> pools = new HashMap<>();
  private final long sweepTimer;
  /** Times the calls that have an idle timeout. */
  private final Watchdog watchdog;
  private final TrustManagerFactory trust;
  /** Built the first time a TLS backend is called. */
  private Future<SslContext> tls;
  private boolean closed;

  /** Where requests go: connections are shared only between requests to the same origin. */
  record Origin(String host, int port, boolean ssl) {

    // Written out: a record's generated equals and hashCode go through method handles, which a
    // profile of non-streaming requests showed on the hot path (one pool lookup per request).
    @Override
    public boolean equals(Object other) {
      return other instanceof Origin that && port == that.port && ssl == that.ssl && host.equals(that.host);
    }

    @Override
    public int hashCode() {
      return (host.hashCode() * 31 + port) * 2 + (ssl ? 1 : 0);
    }
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
    this.watchdog = new Watchdog(vertx);
    long sweepMillis = Math.max(100, keepAlive.toMillis() / 2);
    this.sweepTimer = vertx.setPeriodic(sweepMillis, id -> closeExpired(System.nanoTime()));
  }

  /**
   * Sends a POST with {@code body} to {@code path} at {@code origin}, on a pooled connection or a new
   * one.
   *
   * @param headers the request's headers; {@code Host} and {@code Content-Length} are added here
   * @param idleTimeoutMillis how long the backend may stay silent before the call fails with a
   *     {@link java.util.concurrent.TimeoutException} (checked every {@link Watchdog#TICK_MILLIS}); 0 for no
   *     limit
   * @return the call, whose {@link UpstreamCall#response()} completes with the answer's head
   * @throws IllegalArgumentException when {@code path} is not a request target (printable ASCII, no spaces)
   */
  UpstreamCall post(Origin origin, String path, UpstreamHeaders headers, Buffer body, long idleTimeoutMillis) {
    if (path.isEmpty() || path.charAt(0) != '/' || path.indexOf(' ') >= 0 || !UpstreamHeaders.isPrintableAscii(path)) {
      throw new IllegalArgumentException("not a request path: " + path);
    }
    UpstreamCall call = new UpstreamCall(context, idleTimeoutMillis);
    if (closed) {
      call.fail(new IllegalStateException("the upstream client is closed"));
      return call;
    }
    if (idleTimeoutMillis > 0) {
      watchdog.watch(call);
    }
    OriginPool pool = pools.computeIfAbsent(origin, OriginPool::new);
    Request request = new Request(path, pool.hostHeader, headers, ((BufferInternal) body).getByteBuf());
    UpstreamConnection pooled = pool.takeIdle(System.nanoTime());
    if (pooled == null) {
      sendOnNewConnection(pool, call, request);
      return call;
    }
    // The backend may be closing this idle connection while the request goes out. If the connection
    // is lost before any byte of the answer, the request is sent once more, on a new connection
    // (as OkHttp does with a stale pooled connection); a new connection that fails is not retried.
    call.resendWith(() -> sendOnNewConnection(pool, call, request));
    pooled.send(call, request);
    return call;
  }

  private void sendOnNewConnection(OriginPool pool, UpstreamCall call, Request request) {
    pool.connect().onComplete(opened -> {
      if (opened.failed()) {
        call.fail(opened.cause());
      } else if (call.isReset()) {
        opened.result().close();
      } else {
        opened.result().pipeline().get(UpstreamConnection.class).send(call, request);
      }
    });
  }

  /**
   * A request as it goes out: its head and body encoded into one buffer, written with one system call,
   * as Netty's HTTP encoder does with a small body. The body is read, not consumed, so that the request
   * can be encoded again for a second connection.
   */
  record Request(String path, String host, UpstreamHeaders headers, ByteBuf body) {

    private static final byte[] POST = "POST ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VERSION_HOST = " HTTP/1.1\r\nHost: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_LENGTH = "Content-Length: ".getBytes(StandardCharsets.US_ASCII);

    ByteBuf encode(ByteBufAllocator allocator) {
      String length = Integer.toString(body.readableBytes());
      int size = POST.length + path.length() + VERSION_HOST.length + host.length() + 2 + headers.encodedLength()
          + CONTENT_LENGTH.length + length.length() + 4 + body.readableBytes();
      ByteBuf out = allocator.ioBuffer(size);
      out.writeBytes(POST);
      ByteBufUtil.writeAscii(out, path);
      out.writeBytes(VERSION_HOST);
      ByteBufUtil.writeAscii(out, host);
      out.writeShort(UpstreamHeaders.CRLF);
      headers.writeTo(out);
      out.writeBytes(CONTENT_LENGTH);
      ByteBufUtil.writeAscii(out, length);
      out.writeInt(UpstreamHeaders.CRLF << 16 | UpstreamHeaders.CRLF);
      out.writeBytes(body, body.readerIndex(), body.readableBytes());
      return out;
    }
  }

  /** Closes every idle connection and stops pooling; calls in flight keep their connections. */
  public void close() {
    closed = true;
    context.owner().cancelTimer(sweepTimer);
    watchdog.stop();
    for (OriginPool pool : pools.values()) {
      pool.idle.forEach(UpstreamConnection::close);
      pool.idle.clear();
    }
  }

  /** Returns a connection whose answer ended cleanly and that may carry another request. */
  void release(UpstreamConnection connection) {
    if (closed) {
      connection.close();
      return;
    }
    connection.idleSince(System.nanoTime());
    pools.get(connection.origin()).idle.addLast(connection);
  }

  private void closeExpired(long now) {
    for (OriginPool pool : pools.values()) {
      // Oldest first: stop at the first connection young enough to keep.
      UpstreamConnection oldest;
      while ((oldest = pool.idle.peekFirst()) != null
          && (!oldest.isOpen() || now - oldest.idleSince() >= keepAliveNanos)) {
        pool.idle.pollFirst().close();
      }
    }
  }

  /**
   * What the client keeps for one origin: its idle connections, its {@code Host} header, and a
   * bootstrap that opens connections to it. Origins are the configured backends, so there are few.
   */
  private final class OriginPool {

    final Origin origin;
    final String hostHeader;
    /** Idle connections, the most recently used last. */
    final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
    /** Set once the TLS context is ready (at once for plain HTTP). */
    private Future<Bootstrap> opener;

    OriginPool(Origin origin) {
      this.origin = origin;
      this.hostHeader = hostHeader(origin);
    }

    /** The most recently used live connection, or null. */
    UpstreamConnection takeIdle(long now) {
      UpstreamConnection connection;
      while ((connection = idle.pollLast()) != null) {
        if (connection.isOpen() && now - connection.idleSince() < keepAliveNanos) {
          return connection;
        }
        connection.close();
      }
      return null;
    }

    /** Opens a connection; the outcome arrives on the client's context. */
    Future<Channel> connect() {
      if (opener == null) {
        opener = origin.ssl() ? tlsContext().map(this::bootstrap) : context.succeededFuture(bootstrap(null));
      }
      return opener.compose(this::open);
    }

    private Future<Channel> open(Bootstrap opening) {
      Promise<Channel> opened = context.promise();
      opening.connect(origin.host(), origin.port()).addListener((ChannelFuture connected) -> context.dispatch(() -> {
        if (connected.isSuccess()) {
          opened.complete(connected.channel());
        } else {
          opened.fail(connected.cause());
        }
      }));
      return opened.future();
    }

    private Bootstrap bootstrap(SslContext security) {
      return bootstrap.clone().handler(new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel channel) {
          if (security != null) {
            channel.pipeline().addLast(tlsHandler(security, channel, origin));
          }
          // Only answers are decoded: requests are encoded by Request itself.
          channel.pipeline().addLast(new HttpResponseDecoder());
          channel.pipeline().addLast(new UpstreamConnection(UpstreamClient.this, context, origin));
        }
      });
    }
  }

  /** Built on a worker, once: building it reads the JDK trust store. */
  private Future<SslContext> tlsContext() {
    if (tls == null) {
      tls = context.executeBlocking(() -> SslContextBuilder.forClient().trustManager(trust).build());
    }
    return tls;
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
