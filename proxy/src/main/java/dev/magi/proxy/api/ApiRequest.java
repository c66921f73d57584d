package dev.magi.proxy.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import java.util.OptionalInt;

/**
 * A validated client request: the fields routing and adapting need, the parsed body, and the raw
 * bytes (forwarded unchanged when nothing in the body needs rewriting).
 *
 * @param operation what is asked for
 * @param model the {@code model} the client sent
 * @param stream whether the client asked for a stream
 * @param includeUsage {@code stream_options.include_usage}
 * @param base64 embeddings asked for with {@code encoding_format: "base64"}
 * @param maxTokens {@code max_completion_tokens}, else {@code max_tokens}, when either is set
 * @param body the parsed body; adapters may read it but must copy before changing it
 * @param raw the bytes as received
 */
public record ApiRequest(Operation operation, String model, boolean stream, boolean includeUsage, boolean base64,
    OptionalInt maxTokens, ObjectNode body, Buffer raw) {
}
