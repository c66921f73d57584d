package dev.magi.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

/** Token counts read off answers and streams, as the metrics take them. */
class TokenCountsTest {

  // The last two events of a real llama-server stream (shared/transcripts/llama-server/chat-stream*.txt).
  private static final String FINISH = "data: {\"choices\":[{\"finish_reason\":\"length\",\"index\":0,\"delta\":{}}],"
      + "\"object\":\"chat.completion.chunk\",\"timings\":{\"cache_n\":8,\"prompt_n\":23,\"prompt_ms\":1.155,"
      + "\"predicted_n\":8,\"predicted_ms\":2.12}}\n\n";
  private static final String USAGE = "data: {\"choices\":[],\"object\":\"chat.completion.chunk\",\"usage\":"
      + "{\"completion_tokens\":8,\"prompt_tokens\":31,\"total_tokens\":39,\"prompt_tokens_details\":"
      + "{\"cached_tokens\":30}},\"timings\":{\"cache_n\":30,\"prompt_n\":1,\"predicted_n\":8}}\n\n";
  private static final String DONE = "data: [DONE]\n\n";
  private static final String TOKEN = "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":"
      + "{\"content\":\" stood\"}}],\"object\":\"chat.completion.chunk\"}\n\n";

  @Test
  void usageWinsOverTimingsAndTimingsCountCachedPromptTokens() {
    assertEquals(new TokenCounts(31, 8), TokenCounts.inTail(Buffer.buffer(USAGE)));
    assertEquals(new TokenCounts(31, 8), TokenCounts.inTail(Buffer.buffer(FINISH)));
    assertEquals(new TokenCounts(5, 0), TokenCounts.inTail(Buffer.buffer(
        "{\"object\":\"list\",\"data\":[],\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}")), "an embedding");
    assertNull(TokenCounts.inTail(Buffer.buffer("{\"choices\":[]}")));
    assertNull(TokenCounts.inTail(Buffer.buffer("{\"usage\":{\"prompt_tokens\":\"x\"}}")));
  }

  @Test
  void aStreamsCountsComeFromTheEventBeforeDoneInTheSamePieceOrTheOneBefore() {
    SsePassthrough together = new SsePassthrough(65536);
    together.push(Buffer.buffer(TOKEN));
    together.push(Buffer.buffer(FINISH + USAGE + DONE));
    assertEquals(new TokenCounts(31, 8), together.tokens());

    SsePassthrough apart = new SsePassthrough(65536);
    apart.push(Buffer.buffer(TOKEN + FINISH));
    assertNull(apart.tokens(), "not before the end");
    apart.push(Buffer.buffer(DONE));
    assertEquals(new TokenCounts(31, 8), apart.tokens());

    SsePassthrough none = new SsePassthrough(65536);
    none.push(Buffer.buffer(TOKEN + TOKEN + DONE));
    assertNull(none.tokens());
  }
}
