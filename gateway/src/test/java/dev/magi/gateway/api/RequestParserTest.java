package dev.magi.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.gateway.config.MagiConfig;
import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.Json;
import dev.magi.proxy.api.Operation;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The parser reads a body without building a tree of the whole, yet refuses exactly what a whole
 * parse refuses: the bytes it does not decode (a conversation's content) are still checked.
 */
class RequestParserTest {

  private static final RequestParser PARSER = new RequestParser(MagiConfig.defaults().limits());

  private static ApiRequest parse(String body) {
    return PARSER.parse(Operation.CHAT, Buffer.buffer(body));
  }

  @Test
  void theFieldsTheGatewayReadsAreAnsweredAndTheWholeBodyIsParsedOnlyWhenAsked() throws Exception {
    String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":\"x\"}],"
        + "\"max_tokens\":null,\"max_completion_tokens\":7,\"extra\":{\"a\":[1,2]}}";
    ApiRequest request = parse(body);

    assertEquals("m", request.model());
    assertTrue(request.field("max_tokens").isNull(), "an explicit null is not an absent field");
    assertEquals(7, request.field("max_completion_tokens").asInt());
    assertNull(request.field("retrieval"));
    assertEquals(7, request.maxTokens().getAsInt());
    assertEquals(Json.MAPPER.readTree(body), request.body());
    assertEquals("hi", request.field("messages").get(0).get("content").asText(), "other fields come from the whole body");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // invalid UTF-8 inside a content that is never decoded
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"caf\u00C3(\"}]}",
      // a key given twice inside a message, and inside an unknown field
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"role\":\"user\",\"content\":\"x\"}]}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"extra\":{\"a\":1,\"a\":2}}",
      // nesting past the limit inside an unknown field
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"extra\":"
          + "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
          + "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
      // a syntax error in a skipped value, and content after the object
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"extra\":[1,,2]}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} {}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"extra\":\"unterminated}",
  })
  void whatIsNotDecodedIsStillChecked(String body) {
    // Built from ISO-8859-1 so that the invalid UTF-8 sequence reaches the parser as those bytes.
    ApiException refused = assertThrows(ApiException.class,
        () -> PARSER.parse(Operation.CHAT, Buffer.buffer(body.getBytes(StandardCharsets.ISO_8859_1))));
    assertEquals(400, refused.status());
    assertNull(refused.param());
  }

  @Test
  void theShapeOfMessagesAndPromptsIsCheckedAsBefore() {
    ApiException role = assertThrows(ApiException.class,
        () -> parse("{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}"));
    assertEquals("messages[0].role", role.param());
    assertTrue(role.getMessage().contains("'wizard'"), role.getMessage());
    ApiException content = assertThrows(ApiException.class,
        () -> parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}"));
    assertEquals("messages[0].content", content.param());
    assertTrue(content.getMessage().contains("got a number"), content.getMessage());
    ApiException mixed = assertThrows(ApiException.class,
        () -> PARSER.parse(Operation.COMPLETION, Buffer.buffer("{\"model\":\"m\",\"prompt\":[\"a\",[1,2]]}")));
    assertEquals("prompt[1]", mixed.param());
    assertEquals("m", PARSER.parse(Operation.EMBEDDING, Buffer.buffer("{\"model\":\"m\",\"input\":[[1,2],[3]]}")).model());
    ApiException tools = assertThrows(ApiException.class,
        () -> parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"tools\":{}}"));
    assertEquals("tools", tools.param());
  }

  @Test
  void theFieldsReadAreTheNodesAWholeParseGives() throws Exception {
    String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2,"
        + "\"seed\":12345678901,\"max_tokens\":123456789012345678901234567890,\"temperature\":0.5,"
        + "\"top_p\":1e400,\"stream\":false,\"stop\":[\"a\"],\"stream_options\":{\"include_usage\":true},"
        + "\"logprobs\":null}";
    String checkedOnly = body.replace(",\"max_tokens\":123456789012345678901234567890", "")
        .replace(",\"top_p\":1e400", "");
    com.fasterxml.jackson.databind.JsonNode whole = PARSER.mapper().readTree(checkedOnly);
    ApiRequest request = parse(checkedOnly);

    for (String field : RequestParser.CAPTURED) {
      assertEquals(whole.get(field) == null ? null : whole.get(field).getClass(),
          request.field(field) == null ? null : request.field(field).getClass(), field);
      assertEquals(whole.get(field), request.field(field), field);
    }
    assertEquals("top_p", assertThrows(ApiException.class,
        () -> parse(body.replace(",\"max_tokens\":123456789012345678901234567890", ""))).param());
    assertEquals("max_tokens", assertThrows(ApiException.class, () -> parse(body)).param(),
        "an integer too large for a long is refused as before");
  }
}
