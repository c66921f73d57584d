package dev.magi.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.internal.ContextInternal;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One keep-alive connection of an {@link UpstreamClient}: the last handler of its channel's pipeline,
 * which hands the decoded answer to the call it carries, one call at a time. Netty's events are
 * dispatched on the client's Vert.x context.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = Logger.getLogger(UpstreamConnection.class.getName());

  private final UpstreamClient client;
  private final ContextInternal context;
  private final UpstreamClient.Origin origin;
  private Channel channel;
  /** The call in flight, or null while the connection is idle. */
  private UpstreamCall current;
  private boolean keepAlive;
  /** Whether any part of the current call's answer has arrived. */
  private boolean answering;
  private long idleSince;

  UpstreamConnection(UpstreamClient client, ContextInternal context, UpstreamClient.Origin origin) {
    this.client = client;
    this.context = context;
    this.origin = origin;
  }

  UpstreamClient.Origin origin() {
    return origin;
  }

  long idleSince() {
    return idleSince;
  }

  void idleSince(long nanos) {
    idleSince = nanos;
  }

  boolean isOpen() {
    return channel != null && channel.isActive();
  }

  void close() {
    if (channel != null) {
      channel.close();
    }
  }

  /** Writes {@code request} for {@code call}, which this connection carries until its answer ends. */
  void send(UpstreamCall call, UpstreamClient.Request request) {
    current = call;
    keepAlive = true;
    answering = false;
    call.attach(this);
    channel.writeAndFlush(request.encode(channel.alloc()), channel.voidPromise());
  }

  /** Stops or restarts reading from the backend (the client is slower than the backend). */
  void reading(boolean on) {
    channel.config().setAutoRead(on);
    if (on) {
      channel.read();
    }
  }

  /** The call gave up: the connection is closed, since its answer cannot be read to its end. */
  void abandon(UpstreamCall call) {
    if (current == call) {
      current = null;
      channel.close();
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object message) {
    context.dispatch(message, this::read);
  }

  private void read(Object message) {
    try {
      UpstreamCall call = current;
      if (call == null) {
        // Nothing was asked: a backend talking out of turn cannot be trusted with the next request.
        channel.close();
        return;
      }
      answering = true;
      if (message instanceof HttpResponse head) {
        if (head.decoderResult().isFailure()) {
          fail(call, head.decoderResult().cause());
          return;
        }
        if (head.status().code() < 200) {
          return;
        }
        keepAlive = HttpUtil.isKeepAlive(head);
        call.head(head.status().code(), head.headers());
      }
      if (message instanceof HttpContent content) {
        if (content.decoderResult().isFailure()) {
          fail(call, content.decoderResult().cause());
          return;
        }
        if (!(message instanceof LastHttpContent)) {
          if (content.content().isReadable()) {
            call.data(content.content());
          }
        } else if (current == call) {
          current = null;
          if (keepAlive) {
            client.release(this);
          } else {
            channel.close();
          }
          call.last(content.content());
        }
      }
    } finally {
      ReferenceCountUtil.release(message);
    }
  }

  private void fail(UpstreamCall call, Throwable cause) {
    current = null;
    channel.close();
    call.fail(cause);
  }

  /**
   * The connection is gone under the current call. Before any byte of the answer, the call may be
   * sent again on a new connection (only if this one came from the pool: see
   * {@link UpstreamCall#resendOnce()}).
   */
  private void lost(UpstreamCall call, Throwable cause) {
    current = null;
    channel.close();
    if (answering || !call.resendOnce()) {
      call.fail(cause);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    context.dispatch(() -> {
      UpstreamCall call = current;
      if (call != null) {
        lost(call, new IOException("the backend closed the connection"));
      }
    });
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    context.dispatch(() -> {
      UpstreamCall call = current;
      if (call != null) {
        lost(call, cause);
      } else {
        // Backends reset idle connections as a matter of course.
        LOG.log(Level.FINE, "upstream connection to " + origin.host() + ":" + origin.port() + ": " + cause);
        channel.close();
      }
    });
  }
}
