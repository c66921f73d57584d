package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFormatTextJsonSchemaConfig;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseItem;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseTextConfig;
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
 * The official {@code openai-java} client's Responses API against Magi, in front of a fake llama-server
 * ({@code tiny}) and a fake Ollama ({@code llama3.2:latest}): plain and streamed responses, a
 * function-calling round trip through {@code previous_response_id}, structured output, the stored
 * responses, and errors. Every response is {@linkplain Response#validate() validated} by the SDK.
 */
class ResponsesSdkTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static GatewayFixture magi;
  private static FakeLlamaServer tiny;
  private static OpenAIClient client;

  @BeforeAll
  static void start() {
    magi = new GatewayFixture();
    tiny = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
    FakeOllama ollama = magi.ollama(new FakeOllama.Options());
    magi.start("backends:\n"
        + "  - model: tiny\n    url: " + tiny.url() + "\n    type: llama-server\n"
        + "  - url: " + ollama.url() + "\n    type: ollama\n");
    client = OpenAIOkHttpClient.builder().baseUrl(magi.apiBase()).apiKey("unused").maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    magi.close();
  }

  private static String text(Response response) {
    return response.output().stream().flatMap(item -> item.message().stream())
        .flatMap(message -> message.content().stream()).flatMap(content -> content.outputText().stream())
        .map(text -> text.text()).collect(Collectors.joining());
  }

  private static Response streamed(ResponseCreateParams params, List<String> types) {
    ResponseAccumulator accumulator = ResponseAccumulator.create();
    try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params)) {
      stream.stream().forEach(event -> {
        accumulator.accumulate(event);
        types.add(event.toString().replaceAll("\\{.*", ""));
      });
    }
    return accumulator.response().validate();
  }

  @Test
  void responseFromLlamaServer() {
    Response response = client.responses().create(ResponseCreateParams.builder().model("tiny")
        .instructions("You are helpful.").input("Hello there!").maxOutputTokens(8).build()).validate();

    assertEquals(String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS), text(response));
    assertEquals(ResponseStatus.INCOMPLETE, response.status().orElseThrow(), "cut by max_output_tokens");
    assertEquals("max_output_tokens", response.incompleteDetails().orElseThrow().reason().orElseThrow().asString());
    assertEquals(8, response.usage().orElseThrow().outputTokens());
    assertTrue(response.id().startsWith("resp_"));
    JsonNode upstream = tiny.lastRequest("/v1/chat/completions").json();
    assertEquals("You are helpful.", upstream.at("/messages/0/content").asText());
    assertEquals("Hello there!", upstream.at("/messages/1/content").asText());
    assertEquals(8, upstream.get("max_tokens").asInt());
  }

  @Test
  void streamedResponseFromOllama() {
    List<String> types = new ArrayList<>();
    Response response = streamed(ResponseCreateParams.builder().model("llama3.2").input("Why is the sky blue?")
        .build(), types);

    assertEquals("The sky is blue.", text(response));
    assertEquals(ResponseStatus.COMPLETED, response.status().orElseThrow());
    assertEquals(5, response.usage().orElseThrow().outputTokens());
    assertTrue(types.size() >= 8, types.toString());
  }

  @Test
  void streamedEventsAreNumberedAndInOrder() throws Exception {
    HttpResponse<String> raw = magi.post("/v1/responses",
        "{\"model\":\"tiny\",\"input\":\"Hi\",\"max_output_tokens\":2,\"stream\":true}");
    List<JsonNode> events = new ArrayList<>();
    for (String event : raw.body().split("\n\n")) {
      String[] lines = event.split("\n");
      JsonNode data = JSON.readTree(lines[1].substring("data: ".length()));
      assertEquals("event: " + data.get("type").asText(), lines[0]);
      events.add(data);
    }
    assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added",
        "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.incomplete"), events.stream().map(e -> e.get("type").asText()).toList());
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i, events.get(i).get("sequence_number").asInt());
    }
  }

  private static final FunctionTool WEATHER = FunctionTool.builder().name("get_weather").strict(false)
      .parameters(FunctionTool.Parameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
          .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string")))).build())
      .build();

  @Test
  void functionCallingRoundTripThroughPreviousResponseId() {
    for (String model : List.of("tiny", "llama3.2")) {
      ResponseCreateParams asking = ResponseCreateParams.builder().model(model)
          .input("What is the weather in Paris?").addTool(WEATHER).build();
      Response call = client.responses().create(asking).validate();
      ResponseFunctionToolCall function = call.output().stream().flatMap(item -> item.functionCall().stream())
          .findFirst().orElseThrow();
      assertEquals("get_weather", function.name());
      assertEquals(Map.of("city", "Paris"), parse(function.arguments()));

      Response streamedCall = streamed(asking, new ArrayList<>());
      assertEquals("get_weather", streamedCall.output().stream().flatMap(item -> item.functionCall().stream())
          .findFirst().orElseThrow().name());

      Response answer = client.responses().create(ResponseCreateParams.builder().model(model).addTool(WEATHER)
          .previousResponseId(call.id())
          .inputOfResponse(List.of(ResponseInputItem.ofFunctionCallOutput(ResponseInputItem.FunctionCallOutput.builder()
              .callId(function.callId()).output("18 degrees and sunny").build())))
          .build()).validate();
      assertFalse(text(answer).isEmpty(), model);
      assertEquals(call.id(), answer.previousResponseId().orElseThrow());
    }
    JsonNode upstream = tiny.lastRequest("/v1/chat/completions").json().get("messages");
    assertEquals("user", upstream.get(0).get("role").asText());
    assertEquals("get_weather", upstream.get(1).at("/tool_calls/0/function/name").asText());
    assertEquals("tool", upstream.get(2).get("role").asText());
    assertEquals(upstream.get(1).at("/tool_calls/0/id").asText(), upstream.get(2).get("tool_call_id").asText());
    assertEquals("18 degrees and sunny", upstream.get(2).get("content").asText());
  }

  private static Object parse(String json) {
    try {
      return JSON.readValue(json, Object.class);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void structuredOutputAsksTheBackendForTheSchema() {
    client.responses().create(ResponseCreateParams.builder().model("tiny").input("A city, please.")
        .maxOutputTokens(4)
        .text(ResponseTextConfig.builder().format(ResponseFormatTextJsonSchemaConfig.builder().name("city")
            .schema(ResponseFormatTextJsonSchemaConfig.Schema.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("name", Map.of("type", "string"))))
                .build())
            .strict(true).build()).build())
        .build()).validate();

    JsonNode format = tiny.lastRequest("/v1/chat/completions").json().get("response_format");
    assertEquals("json_schema", format.get("type").asText());
    assertEquals("city", format.at("/json_schema/name").asText());
    assertEquals("string", format.at("/json_schema/schema/properties/name/type").asText());
  }

  @Test
  void storedResponsesCanBeReadListedAndDeleted() {
    Response made = client.responses().create(ResponseCreateParams.builder().model("tiny").input("Hello there!")
        .maxOutputTokens(2).build());

    assertEquals(text(made), text(client.responses().retrieve(made.id()).validate()));
    List<ResponseItem> items = client.responses().inputItems().list(made.id()).data();
    assertEquals(1, items.size());
    assertTrue(items.get(0).isResponseInputMessageItem());

    client.responses().delete(made.id());
    assertThrows(NotFoundException.class, () -> client.responses().retrieve(made.id()));

    Response unstored = client.responses().create(ResponseCreateParams.builder().model("tiny").input("Hi")
        .maxOutputTokens(1).store(false).build());
    assertThrows(NotFoundException.class, () -> client.responses().retrieve(unstored.id()));
  }

  @Test
  void errorsAreOpenAisShape() throws Exception {
    NotFoundException previous = assertThrows(NotFoundException.class, () -> client.responses().create(
        ResponseCreateParams.builder().model("tiny").input("Hi").previousResponseId("resp_unknown").build()));
    assertTrue(previous.getMessage().contains("resp_unknown"), previous.getMessage());

    assertThrows(NotFoundException.class, () -> client.responses().create(
        ResponseCreateParams.builder().model("no-such-model").input("Hi").build()));

    HttpResponse<String> hosted = magi.post("/v1/responses",
        "{\"model\":\"tiny\",\"input\":\"Hi\",\"tools\":[{\"type\":\"web_search\"}]}");
    assertEquals(400, hosted.statusCode());
    assertEquals("tools[0].type", JSON.readTree(hosted.body()).at("/error/param").asText());

    HttpResponse<String> imageUrl = magi.post("/v1/responses", "{\"model\":\"tiny\",\"input\":[{\"role\":\"user\","
        + "\"content\":[{\"type\":\"input_image\",\"image_url\":\"http://169.254.169.254/\"}]}]}");
    assertEquals(400, imageUrl.statusCode());
    assertTrue(imageUrl.body().contains("does not fetch URLs"), imageUrl.body());

    BadRequestException noInput = assertThrows(BadRequestException.class, () -> client.responses().create(
        ResponseCreateParams.builder().model("tiny").build()));
    assertEquals(400, noInput.statusCode());
  }
}
