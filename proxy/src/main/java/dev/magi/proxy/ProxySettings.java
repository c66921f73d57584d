package dev.magi.proxy;

import java.time.Duration;

/**
 * The bounds an exchange keeps to, as configured ({@code timeouts.*}, {@code limits.upstream_response_bytes}).
 *
 * @param firstToken from sending a streamed request to its first event
 * @param betweenChunks silence allowed between two events of a stream
 * @param nonStreaming a whole non-streaming exchange
 * @param commitDelay how long a stream may wait for its first event before the 200 is sent anyway,
 *     followed by {@code : ping} comments (so proxies with short read timeouts keep the stream)
 * @param pingInterval time between two {@code : ping} comments while no event flows
 * @param upstreamResponseBytes largest upstream body held in memory to translate it
 */
public record ProxySettings(Duration firstToken, Duration betweenChunks, Duration nonStreaming, Duration commitDelay,
    Duration pingInterval, long upstreamResponseBytes) {
}
