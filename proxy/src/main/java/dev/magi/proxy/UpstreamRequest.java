package dev.magi.proxy;

import io.vertx.core.buffer.Buffer;

/**
 * What to send to a backend for one client request.
 *
 * @param path the path on the backend, base path included
 * @param body the JSON body
 */
record UpstreamRequest(String path, Buffer body) {
}
