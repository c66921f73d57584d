package dev.magi.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.magi.proxy.api.ApiException;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class UpstreamErrorsTest {

  private static String normalised(int status, String body) {
    ApiException error = UpstreamErrors.normalise(status, Buffer.buffer(body), "tiny");
    return error.status() + " " + error.toJson();
  }

  @Test
  void llamaServerErrorsGetOpenAiFields() {
    assertEquals("400 {\"error\":{\"message\":\"request (1528 tokens) exceeds the available context size (1024 tokens), try"
        + " increasing it\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"context_length_exceeded\"}}",
        normalised(400, "{\"error\":{\"code\":400,\"message\":\"request (1528 tokens) exceeds the available context size"
            + " (1024 tokens), try increasing it\",\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":1528,"
            + "\"n_ctx\":1024}}"));
    assertEquals("501 {\"error\":{\"message\":\"This server does not support embeddings. Start it with `--embeddings`\","
        + "\"type\":\"server_error\",\"param\":null,\"code\":\"not_supported\"}}",
        normalised(501, "{\"error\":{\"code\":501,\"message\":\"This server does not support embeddings. Start it with"
            + " `--embeddings`\",\"type\":\"not_supported_error\"}}"));
    assertEquals("500 {\"error\":{\"message\":\"The model produced output that does not match the expected peg-native"
        + " format\",\"type\":\"server_error\",\"param\":null,\"code\":null}}",
        normalised(500, "{\"error\":{\"code\":500,\"message\":\"The model produced output that does not match the"
            + " expected peg-native format\",\"type\":\"server_error\"}}"));
  }

  @Test
  void ollamaStringErrorsAreWrapped() {
    assertEquals("404 {\"error\":{\"message\":\"model 'x' not found\",\"type\":\"invalid_request_error\",\"param\":null,"
        + "\"code\":\"model_not_found\"}}", normalised(404, "{\"error\":\"model 'x' not found\"}"));
    assertEquals("503 {\"error\":{\"message\":\"server busy, please try again.  maximum pending requests exceeded\","
        + "\"type\":\"server_error\",\"param\":null,\"code\":null}}",
        normalised(503, "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}"));
  }

  @Test
  void bodiesThatAreNotJsonStillGiveAMessage() {
    assertEquals("502 {\"error\":{\"message\":\"<html>bad gateway</html>\",\"type\":\"server_error\",\"param\":null,"
        + "\"code\":null}}", normalised(502, "<html>bad gateway</html>"));
    assertEquals("500 {\"error\":{\"message\":\"The backend for model 'tiny' answered HTTP 500.\",\"type\":"
        + "\"server_error\",\"param\":null,\"code\":null}}", normalised(500, ""));
  }

  @Test
  void backendRejectingTheGatewaysKeyIsAGatewayProblem() {
    assertEquals("502 {\"error\":{\"message\":\"The backend for model 'tiny' rejected the gateway's credentials (HTTP 401):"
        + " Invalid API Key\",\"type\":\"server_error\",\"param\":null,\"code\":\"backend_auth_failed\"}}",
        normalised(401, "{\"error\":{\"message\":\"Invalid API Key\",\"type\":\"authentication_error\",\"code\":401}}"));
  }
}
