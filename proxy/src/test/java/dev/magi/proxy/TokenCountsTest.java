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

  // An OpenAI-style usage chunk (choices empty, usage last), as include_usage makes one.
  private static final String OPENAI_USAGE = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
      + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}}\n\n";
  private static final String OPENAI_TOKEN = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{"
      + "\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":null}],\"usage\":null}\n\n";

  @Test
  void aUsageChunkMagiAskedForIsCountedAndLeftOutWhereverItFalls() {
    SsePassthrough apart = new SsePassthrough(65536, true);
    assertEquals(OPENAI_TOKEN, apart.push(Buffer.buffer(OPENAI_TOKEN)).toString());
    assertEquals("", apart.push(Buffer.buffer(OPENAI_USAGE)).toString(), "the usage chunk alone: nothing goes out");
    assertEquals(DONE, apart.push(Buffer.buffer(DONE)).toString());
    assertEquals(new TokenCounts(12, 5), apart.tokens());

    SsePassthrough together = new SsePassthrough(65536, true);
    assertEquals(OPENAI_TOKEN + DONE, together.push(Buffer.buffer(OPENAI_TOKEN + OPENAI_USAGE + DONE)).toString());
    assertEquals(new TokenCounts(12, 5), together.tokens());

    SsePassthrough trailing = new SsePassthrough(65536, true);
    assertEquals(OPENAI_TOKEN, trailing.push(Buffer.buffer(OPENAI_TOKEN + OPENAI_USAGE)).toString());
    trailing.push(Buffer.buffer(DONE));
    assertEquals(new TokenCounts(12, 5), trailing.tokens());

    SsePassthrough llamaStyle = new SsePassthrough(65536, true);
    assertEquals(FINISH + DONE, llamaStyle.push(Buffer.buffer(FINISH + USAGE + DONE)).toString(),
        "llama-server's usage chunk (choices first, timings last) is one too");

    SsePassthrough asked = new SsePassthrough(65536, false);
    assertEquals(OPENAI_USAGE + DONE, asked.push(Buffer.buffer(OPENAI_USAGE + DONE)).toString(),
        "a client that asked for usage gets it");
  }

  @Test
  void theUsageChunkIsLeftOutHoweverTheStreamIsCutIntoPieces() {
    String stream = OPENAI_TOKEN + FINISH + USAGE + DONE;
    for (int split = 1; split < stream.length(); split++) {
      SsePassthrough sse = new SsePassthrough(65536, true);
      String out = sse.push(Buffer.buffer(stream.substring(0, split))).toString()
          + sse.push(Buffer.buffer(stream.substring(split))).toString();
      assertEquals(OPENAI_TOKEN + FINISH + DONE, out, "split at " + split);
      assertEquals(new TokenCounts(31, 8), sse.tokens(), "split at " + split);
    }
  }
}
