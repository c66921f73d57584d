package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.FakeOllama;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official {@code anthropic-java} client against Magi's Messages API, in front of a fake
 * llama-server ({@code tiny}, {@code words}) and a fake Ollama ({@code llama3.2:latest}): plain and
 * streamed answers, stop sequences, a tool-use round trip, and errors in Anthropic's shape. Every
 * message is {@linkplain Message#validate() validated} by the SDK, so a field it requires and Magi
 * leaves out fails here.
 */
class AnthropicSdkTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> WORDS = List.of("Hello", " wor", "ld.", " END", " more", " text");

  private static GatewayFixture magi;
  private static FakeLlamaServer tiny;
  private static FakeLlamaServer words;
  private static FakeLlamaServer fragile;
  private static FakeOllama ollama;
  private static AnthropicClient client;

  @BeforeAll
  static void start() {
    magi = new GatewayFixture();
    tiny = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
    words = magi.llama(new FakeLlamaServer.Options().alias("words").tokens(WORDS).defaultTokens(WORDS.size()));
    // A backend of its own for the stream that breaks: a broken stream ejects its backend for a while.
    fragile = magi.llama(new FakeLlamaServer.Options().alias("fragile"));
    ollama = magi.ollama(new FakeOllama.Options());
    magi.start("backends:\n"
        + "  - model: tiny\n    url: " + tiny.url() + "\n    type: llama-server\n"
        + "  - model: words\n    url: " + words.url() + "\n    type: llama-server\n"
        + "  - model: fragile\n    url: " + fragile.url() + "\n    type: llama-server\n"
        + "  - url: " + ollama.url() + "\n    type: ollama\n");
    client = AnthropicOkHttpClient.builder().baseUrl(magi.url()).apiKey("unused").maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    magi.close();
  }

  private static MessageCreateParams ask(String model, long maxTokens) {
    return MessageCreateParams.builder().model(model).maxTokens(maxTokens).system("You are helpful.")
        .addUserMessage("Hello there!").build();
  }

  private static String text(Message message) {
    return message.content().stream().flatMap(block -> block.text().stream()).map(b -> b.text())
        .collect(Collectors.joining());
  }

  /** Streams {@code params}, and returns the accumulated message and the events' types, in order. */
  private static Message streamed(MessageCreateParams params, List<String> types) {
    MessageAccumulator accumulator = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(params)) {
      stream.stream().forEach(event -> {
        types.add(eventType(event));
        accumulator.accumulate(event);
      });
    }
    return accumulator.message().validate();
  }

  private static String eventType(RawMessageStreamEvent event) {
    if (event.isMessageStart()) {
      return "message_start";
    }
    if (event.isContentBlockStart()) {
      return "content_block_start";
    }
    if (event.isContentBlockDelta()) {
      return "content_block_delta";
    }
    if (event.isContentBlockStop()) {
      return "content_block_stop";
    }
    if (event.isMessageDelta()) {
      return "message_delta";
    }
    return event.isMessageStop() ? "message_stop" : "other";
  }

  @Test
  void messageFromLlamaServer() {
    Message message = client.messages().create(ask("tiny", 8)).validate();

    assertEquals(String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS), text(message));
    assertEquals(StopReason.MAX_TOKENS, message.stopReason().orElseThrow());
    assertEquals(8, message.usage().outputTokens());
    assertTrue(message.usage().inputTokens() > 0);
    assertEquals("tiny", message.model().asString());
    assertTrue(message.id().startsWith("msg_"));
    JsonNode upstream = tiny.lastRequest("/v1/chat/completions").json();
    assertEquals("system", upstream.at("/messages/0/role").asText());
    assertEquals("You are helpful.", upstream.at("/messages/0/content").asText());
    assertEquals("Hello there!", upstream.at("/messages/1/content").asText());
    assertEquals(8, upstream.get("max_tokens").asInt());
  }

  @Test
  void streamedMessageFromLlamaServer() {
    List<String> types = new ArrayList<>();
    Message message = streamed(ask("tiny", 8), types);

    assertEquals(String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS), text(message));
    assertEquals(StopReason.MAX_TOKENS, message.stopReason().orElseThrow());
    assertEquals(8, message.usage().outputTokens());
    assertEquals(List.of("message_start", "content_block_start"), types.subList(0, 2));
    assertEquals(List.of("content_block_stop", "message_delta", "message_stop"),
        types.subList(types.size() - 3, types.size()));
    assertEquals(8, types.stream().filter("content_block_delta"::equals).count(), "one delta per token");
  }

  @Test
  void stopSequenceEndsTheAnswerAndSaysWhichOne() {
    MessageCreateParams params = ask("words", 50).toBuilder().stopSequences(List.of(" END", "zzz")).build();

    Message whole = client.messages().create(params).validate();
    assertEquals("Hello world.", text(whole));
    assertEquals(StopReason.STOP_SEQUENCE, whole.stopReason().orElseThrow());
    assertEquals(" END", whole.stopSequence().orElseThrow());

    Message streamed = streamed(params, new ArrayList<>());
    assertEquals("Hello world.", text(streamed));
    assertEquals(StopReason.STOP_SEQUENCE, streamed.stopReason().orElseThrow());
    assertEquals(" END", streamed.stopSequence().orElseThrow());
    assertFalse(words.lastRequest("/v1/chat/completions").json().has("stop"),
        "stop sequences are applied by Magi, which alone can say which one ended the answer");
  }

  @Test
  void stopSequenceAcrossTokensIsHeldBackUntilItIsWhole() {
    MessageCreateParams params = ask("words", 50).toBuilder().stopSequences(List.of("rld")).build();
    List<String> deltas = new ArrayList<>();
    MessageAccumulator accumulator = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(params)) {
      stream.stream().forEach(event -> {
        accumulator.accumulate(event);
        event.contentBlockDelta().flatMap(delta -> delta.delta().text()).ifPresent(t -> deltas.add(t.text()));
      });
    }
    Message message = accumulator.message();

    assertEquals("Hello wo", text(message));
    assertEquals(List.of("Hello", " wo"), deltas, "\"r\" waits to see whether \"rld\" follows, and it does");
    assertEquals("rld", message.stopSequence().orElseThrow());
  }

  private static final Tool WEATHER = Tool.builder().name("get_weather").description("The weather in a city.")
      .inputSchema(Tool.InputSchema.builder()
          .properties(JsonValue.from(Map.of("city", Map.of("type", "string"))))
          .required(List.of("city")).build())
      .build();

  @Test
  void toolUseRoundTripWithLlamaServer() {
    toolUseRoundTrip("tiny");
    JsonNode second = tiny.lastRequest("/v1/chat/completions").json();
    JsonNode messages = second.get("messages");
    JsonNode assistant = messages.get(messages.size() - 2);
    JsonNode result = messages.get(messages.size() - 1);
    assertEquals("assistant", assistant.get("role").asText());
    assertEquals("get_weather", assistant.at("/tool_calls/0/function/name").asText());
    assertEquals("{\"city\":\"Paris\"}", assistant.at("/tool_calls/0/function/arguments").asText());
    assertEquals("tool", result.get("role").asText());
    assertEquals(assistant.at("/tool_calls/0/id").asText(), result.get("tool_call_id").asText());
    assertEquals("18 degrees and sunny", result.get("content").asText());
    assertEquals("get_weather", second.at("/tools/0/function/name").asText());
    assertEquals("object", second.at("/tools/0/function/parameters/type").asText());
  }

  @Test
  void toolUseRoundTripWithOllama() {
    toolUseRoundTrip("llama3.2");
  }

  /** Asks for the weather, streamed and not, answers the tool call, and gets text back. */
  private static void toolUseRoundTrip(String model) {
    MessageCreateParams asking = MessageCreateParams.builder().model(model).maxTokens(64)
        .addUserMessage("What is the weather in Paris?").addTool(WEATHER).build();

    Message call = client.messages().create(asking).validate();
    assertEquals(StopReason.TOOL_USE, call.stopReason().orElseThrow());
    ToolUseBlock use = call.content().stream().flatMap(block -> block.toolUse().stream()).findFirst().orElseThrow();
    assertEquals("get_weather", use.name());
    assertEquals(JsonValue.from(Map.of("city", "Paris")), use._input());

    Message streamedCall = streamed(asking, new ArrayList<>());
    assertEquals(StopReason.TOOL_USE, streamedCall.stopReason().orElseThrow());
    ToolUseBlock streamedUse = streamedCall.content().stream().flatMap(block -> block.toolUse().stream())
        .findFirst().orElseThrow();
    assertEquals(JsonValue.from(Map.of("city", "Paris")), streamedUse._input());

    MessageCreateParams answering = asking.toBuilder().addMessage(call)
        .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
            ToolResultBlockParam.builder().toolUseId(use.id()).content("18 degrees and sunny").build())))
        .build();
    Message answer = client.messages().create(answering).validate();
    assertFalse(text(answer).isEmpty());
    assertTrue(answer.content().stream().noneMatch(ContentBlock::isToolUse));
  }

  @Test
  void messageAndStreamFromOllama() {
    Message message = client.messages().create(ask("llama3.2", 64)).validate();
    assertEquals("The sky is blue.", text(message));
    assertEquals(StopReason.END_TURN, message.stopReason().orElseThrow());
    assertEquals(5, message.usage().outputTokens());

    Message streamed = streamed(ask("llama3.2", 64), new ArrayList<>());
    assertEquals("The sky is blue.", text(streamed));
    assertEquals(StopReason.END_TURN, streamed.stopReason().orElseThrow());
  }

  @Test
  void countTokensIsWhatTheMessageWillUse() {
    long counted = client.messages().countTokens(com.anthropic.models.messages.MessageCountTokensParams.builder()
        .model("tiny").system("You are helpful.").addUserMessage("Hello there!").build()).inputTokens();

    assertEquals(client.messages().create(ask("tiny", 4)).usage().inputTokens(), counted);
    BadRequestException ollamaCannot = assertThrows(BadRequestException.class, () -> client.messages().countTokens(
        com.anthropic.models.messages.MessageCountTokensParams.builder().model("llama3.2").addUserMessage("Hi").build()));
    assertEquals("invalid_request_error", ollamaCannot.errorType().orElseThrow().asString());
    assertTrue(ollamaCannot.getMessage().contains("llama-server backends only"), ollamaCannot.getMessage());
  }

  @Test
  void requestsAreMeasuredUnderTheirEndpoint() {
    client.messages().create(ask("tiny", 2));
    String metrics = magi.get("/metrics").body();
    assertTrue(metrics.lines().anyMatch(line -> line.startsWith("magi_requests_total{")
        && line.contains("endpoint=\"/v1/messages\"") && line.contains("model=\"tiny\"")
        && line.contains("status=\"200\"")), "the Messages face shares the meters of the OpenAI face");
  }

  @Test
  void unknownModelIsAnthropicsNotFound() {
    NotFoundException error = assertThrows(NotFoundException.class,
        () -> client.messages().create(ask("no-such-model", 8)));
    assertEquals("not_found_error", error.errorType().orElseThrow().asString());
  }

  @Test
  void badRequestsAreAnthropicsInvalidRequest() throws Exception {
    HttpResponse<String> noMaxTokens = magi.post("/v1/messages",
        "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    assertEquals(400, noMaxTokens.statusCode());
    JsonNode body = JSON.readTree(noMaxTokens.body());
    assertEquals("error", body.get("type").asText());
    assertEquals("invalid_request_error", body.at("/error/type").asText());
    assertTrue(body.at("/error/message").asText().contains("max_tokens"), noMaxTokens.body());

    HttpResponse<String> serverTool = magi.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":8,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"tools\":[{\"type\":\"web_search_20250305\","
        + "\"name\":\"web_search\"}]}");
    assertEquals(400, serverTool.statusCode());
    assertTrue(JSON.readTree(serverTool.body()).at("/error/message").asText().contains("server tool"));

    HttpResponse<String> notJson = magi.post("/v1/messages", "{\"model\":");
    assertEquals(400, notJson.statusCode());
    assertEquals("invalid_request_error", JSON.readTree(notJson.body()).at("/error/type").asText());

    BadRequestException viaSdk = assertThrows(BadRequestException.class, () -> client.messages().create(
        MessageCreateParams.builder().model("tiny").maxTokens(8).addUserMessage("Hi").putAdditionalBodyProperty("temperature", JsonValue.from(-1.0)).build()));
    assertEquals(400, viaSdk.statusCode());
  }

  @Test
  void streamThatBreaksEndsWithAnErrorEvent() {
    fragile.errorEventInNextStreamAfter(2);
    List<String> texts = new ArrayList<>();
    AnthropicServiceException error = assertThrows(AnthropicServiceException.class, () -> {
      try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(ask("fragile", 8))) {
        stream.stream().forEach(event -> event.contentBlockDelta().flatMap(d -> d.delta().text())
            .ifPresent(t -> texts.add(t.text())));
      }
    });
    assertEquals(FakeLlamaServer.TRANSCRIPT_TOKENS.subList(0, 2), texts, "what came before the error is kept");
    assertTrue(error.getMessage().contains("peg-native"), error.getMessage());
  }
}
