package dev.magi.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.MultiMap;

/**
 * One request as a fake server received it.
 *
 * @param method HTTP method
 * @param path path and query
 * @param headers request headers (a copy)
 * @param body the raw body, empty when none
 * @param json the body parsed as JSON, or null when it was not JSON
 */
public record RecordedRequest(String method, String path, MultiMap headers, String body, JsonNode json) {
}
