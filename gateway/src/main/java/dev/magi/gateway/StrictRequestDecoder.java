package dev.magi.gateway;

import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;

/**
 * Vert.x's HTTP/1.x request decoder, made to refuse a request that declares both
 * {@code Transfer-Encoding: chunked} and {@code Content-Length}. Netty's decoder drops the
 * {@code Content-Length} and reads the body as chunked (RFC 9112 §6.3 allows that), but a proxy in
 * front that reads the same bytes by their length would then see a different request boundary than
 * Magi does: that disagreement is request smuggling. RFC 9112 also allows treating the message as an
 * error, which is what nginx does and what Magi now does: the request fails to decode, is answered
 * 400 and its connection closed, and nothing after it on that connection is read.
 *
 * <p>Installed per connection in place of Vert.x's own decoder ({@link #install}); it touches Vert.x
 * internals (the pipeline's {@code httpDecoder} handler), so a test checks that it is in place.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

  /** The name Vert.x gives its HTTP/1.x request decoder in a connection's pipeline. */
  static final String HANDLER_NAME = "httpDecoder";

  StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    throw new IllegalArgumentException("Transfer-Encoding and Content-Length are both present");
  }

  /**
   * Puts a strict decoder in place of Vert.x's in {@code connection}'s pipeline. Call it from the
   * server's connection handler, before the connection has read anything.
   *
   * @return whether it was installed (false for a connection of another kind)
   */
  static boolean install(HttpConnection connection, HttpServerOptions options) {
    if (!(connection instanceof io.vertx.core.net.impl.ConnectionBase base)) {
      return false;
    }
    io.netty.channel.ChannelPipeline pipeline = base.channel().pipeline();
    if (!(pipeline.get(HANDLER_NAME) instanceof VertxHttpRequestDecoder)
        || pipeline.get(HANDLER_NAME) instanceof StrictRequestDecoder) {
      return false;
    }
    pipeline.replace(HANDLER_NAME, HANDLER_NAME, new StrictRequestDecoder(options));
    return true;
  }
}
