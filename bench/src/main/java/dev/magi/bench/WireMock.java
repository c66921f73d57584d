package dev.magi.bench;

import dev.magi.gateway.DescriptorTable;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

/**
 * The mock backend of {@link MockBackend}, byte for byte on the wire, at a fraction of its cost: a
 * request is found by its blank line and {@code Content-Length}, and answered with bytes encoded
 * once, straight on Netty with no HTTP codec. A stream's events go out as one HTTP chunk each, as
 * llama-server writes them. The rate scenarios use it: with it, wrk and the mock together leave room
 * on the load core where {@link MockBackend} saturated it before nginx's core was busy.
 *
 * <pre>java -cp ... dev.magi.bench.WireMock PORT</pre>
 */
public final class WireMock {

  private static final byte[] JSON = MockBackend.JSON_BODY.getBytes(StandardCharsets.US_ASCII);
  private static final String CHUNK = MockBackend.CHUNK_EVENT;
  private static final String DONE = MockBackend.DONE_EVENTS;
  private static final ByteBuf WHOLE = encoded(head("application/json", "content-length: " + JSON.length)
      + new String(JSON, StandardCharsets.US_ASCII));
  private static final ByteBuf STATUS = encoded(head("application/json", "content-length: 25")
      + "{\"status\":\"ok\",\"data\":[]}");
  private static final ByteBuf STREAM_HEAD = encoded(head("text/event-stream",
      "cache-control: no-cache\r\ntransfer-encoding: chunked"));
  private static final ByteBuf CHUNK_FRAME = encoded(frame(CHUNK));
  private static final ByteBuf DONE_FRAMES = encoded(frame(DONE) + "0\r\n\r\n");
  /** Whole undelayed streams, by their number of chunks. */
  private static final Map<Integer, ByteBuf> STREAMS = new ConcurrentHashMap<>();

  private WireMock() {
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    DescriptorTable.reserve(DescriptorTable.DEFAULT_RESERVE);
    MultiThreadIoEventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 20_000)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline().addLast(new Connection());
          }
        })
        .bind("127.0.0.1", port).sync();
    System.out.println("wire mock backend on 127.0.0.1:" + port);
  }

  private static String head(String contentType, String more) {
    return "HTTP/1.1 200 OK\r\ncontent-type: " + contentType + "\r\n" + more + "\r\n\r\n";
  }

  private static String frame(String data) {
    return Integer.toHexString(data.length()) + "\r\n" + data + "\r\n";
  }

  private static ByteBuf encoded(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    return Unpooled.unreleasableBuffer(Unpooled.directBuffer(bytes.length).writeBytes(bytes));
  }

  private static ByteBuf stream(int chunks) {
    return STREAMS.computeIfAbsent(chunks, n -> {
      StringBuilder all = new StringBuilder(head("text/event-stream",
          "cache-control: no-cache\r\ntransfer-encoding: chunked"));
      for (int i = 0; i < n; i++) {
        all.append(frame(CHUNK));
      }
      return encoded(all + frame(DONE) + "0\r\n\r\n");
    });
  }

  /** One client connection: requests one after another, each answered when its body is in. */
  private static final class Connection extends ChannelInboundHandlerAdapter {
    private ByteBuf received;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      if (received == null) {
        received = in;
      } else {
        received = ctx.alloc().buffer(received.readableBytes() + in.readableBytes()).writeBytes(received)
            .writeBytes(in);
        in.release();
      }
      while (answerOne(ctx)) {
        // pipelined requests, if any
      }
      if (received != null && !received.isReadable()) {
        received.release();
        received = null;
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (received != null) {
        received.release();
        received = null;
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    /** Answers the first whole request in {@link #received}, if there is one. */
    private boolean answerOne(ChannelHandlerContext ctx) {
      if (received == null) {
        return false;
      }
      int start = received.readerIndex();
      int end = headEnd(received);
      if (end < 0) {
        return false;
      }
      String head = received.toString(start, end - start, StandardCharsets.US_ASCII);
      int length = contentLength(head);
      if (received.writerIndex() < end + 4 + length) {
        return false;
      }
      String body = received.toString(end + 4, length, StandardCharsets.US_ASCII);
      received.readerIndex(end + 4 + length);
      answer(ctx, head, body);
      return true;
    }

    private static int headEnd(ByteBuf buffer) {
      for (int i = buffer.readerIndex(); i + 3 < buffer.writerIndex(); i++) {
        if (buffer.getByte(i) == '\r' && buffer.getByte(i + 1) == '\n' && buffer.getByte(i + 2) == '\r'
            && buffer.getByte(i + 3) == '\n') {
          return i;
        }
      }
      return -1;
    }

    private static int contentLength(String head) {
      int at = head.toLowerCase(Locale.ROOT).indexOf("\r\ncontent-length:");
      if (at < 0) {
        return 0;
      }
      int from = at + "\r\ncontent-length:".length();
      int to = head.indexOf("\r\n", from);
      return Integer.parseInt(head.substring(from, to < 0 ? head.length() : to).trim());
    }

    private static void answer(ChannelHandlerContext ctx, String head, String body) {
      if (head.startsWith("POST /bench/gc ")) {
        System.gc();
        ctx.write(STATUS.duplicate());
        return;
      }
      if (!head.startsWith("POST ")) {
        ctx.write(STATUS.duplicate());
        return;
      }
      if (!body.contains("\"stream\":true")) {
        ctx.write(WHOLE.duplicate());
        return;
      }
      Matcher knobs = MockBackend.KNOBS.matcher(body);
      int chunks = knobs.find() ? Integer.parseInt(knobs.group(1)) : 16;
      long delay = knobs.find(0) ? Long.parseLong(knobs.group(2)) : 0;
      if (delay == 0) {
        ctx.write(stream(chunks).duplicate());
        return;
      }
      ctx.writeAndFlush(STREAM_HEAD.duplicate());
      new Object() {
        int sent;

        void next() {
          if (!ctx.channel().isActive()) {
            return;
          }
          if (sent == chunks) {
            ctx.writeAndFlush(DONE_FRAMES.duplicate());
            return;
          }
          sent++;
          ctx.writeAndFlush(CHUNK_FRAME.duplicate());
          ctx.executor().schedule(this::next, delay, TimeUnit.MILLISECONDS);
        }
      }.next();
    }
  }
}
