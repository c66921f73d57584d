package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.SseException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.FakeOllama;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official {@code openai-java} client against Magi, in front of a fake llama-server ({@code tiny},
 * {@code tiny-embed}) and a fake Ollama ({@code llama3.2:latest}). If the SDK accepts Magi's bytes,
 * applications will.
 */
class OpenAiSdkTest {

  private static GatewayFixture magi;
  private static FakeLlamaServer chatServer;
  private static FakeLlamaServer fragileServer;
  private static OpenAIClient client;

  @BeforeAll
  static void start() {
    magi = new GatewayFixture();
    chatServer = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
    FakeLlamaServer embedServer = magi.llama(new FakeLlamaServer.Options().alias("tiny-embed").embeddings(true));
    FakeOllama ollama = magi.ollama(new FakeOllama.Options());
    // A backend of its own for the test that kills a stream: a dead stream ejects its backend for 30 s.
    fragileServer = magi.llama(new FakeLlamaServer.Options().alias("fragile"));
    magi.start("backends:\n"
        + "  - model: tiny\n    url: " + chatServer.url() + "\n    type: llama-server\n    aliases: [tiny-chat]\n"
        + "  - model: tiny-embed\n    url: " + embedServer.url() + "\n    type: llama-server\n"
        + "  - model: fragile\n    url: " + fragileServer.url() + "\n    type: llama-server\n"
        + "  - url: " + ollama.url() + "\n    type: ollama\n");
    client = OpenAIOkHttpClient.builder().baseUrl(magi.apiBase()).apiKey("unused").maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    magi.close();
  }

  private static ChatCompletionCreateParams chat(String model) {
    return ChatCompletionCreateParams.builder().model(model).addUserMessage("Hello there!")
        .maxCompletionTokens(8).temperature(0.0).build();
  }

  @Test
  void chatCompletionFromLlamaServer() {
    ChatCompletion completion = client.chat().completions().create(chat("tiny"));

    assertEquals(String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS),
        completion.choices().get(0).message().content().orElseThrow());
    assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, completion.choices().get(0).finishReason());
    assertEquals(8, completion.usage().orElseThrow().completionTokens());
  }

  @Test
  void chatStreamFromLlamaServerThroughAlias() {
    StringBuilder text = new StringBuilder();
    List<String> finishReasons = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("tiny-chat"))) {
      stream.stream().forEach(chunk -> chunk.choices().forEach(choice -> {
        choice.delta().content().ifPresent(text::append);
        choice.finishReason().ifPresent(reason -> finishReasons.add(reason.asString()));
      }));
    }

    assertEquals(String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS), text.toString());
    assertEquals(List.of("length"), finishReasons);
    assertEquals("tiny", chatServer.lastRequest("/v1/chat/completions").json().get("model").asText(),
        "an alias is rewritten to the model id before it goes upstream");
  }

  @Test
  void chatStreamWithUsageFromOllama() {
    ChatCompletionCreateParams params = chat("llama3.2").toBuilder()
        .streamOptions(com.openai.models.chat.completions.ChatCompletionStreamOptions.builder()
            .includeUsage(true).build())
        .build();
    StringBuilder text = new StringBuilder();
    List<Long> usage = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
      stream.stream().forEach(chunk -> {
        chunk.choices().forEach(choice -> choice.delta().content().ifPresent(text::append));
        chunk.usage().ifPresent(u -> usage.add(u.totalTokens()));
      });
    }

    assertEquals("The sky is blue.", text.toString());
    assertEquals(List.of(31L), usage, "one usage chunk: 26 prompt + 5 completion tokens");
  }

  @Test
  void chatCompletionFromOllama() {
    ChatCompletion completion = client.chat().completions().create(chat("llama3.2:latest"));

    assertEquals("The sky is blue.", completion.choices().get(0).message().content().orElseThrow());
    assertEquals("llama3.2:latest", completion.model());
    assertEquals(26, completion.usage().orElseThrow().promptTokens());
  }

  @Test
  void legacyCompletionFromLlamaServer() {
    Completion completion = client.completions().create(CompletionCreateParams.builder()
        .model("tiny").prompt("Once upon a time").maxTokens(4).build());

    assertEquals(String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS.subList(0, 4)),
        completion.choices().get(0).text());
  }

  @Test
  void legacyCompletionFromOllama() {
    Completion completion = client.completions().create(CompletionCreateParams.builder()
        .model("llama3.2").prompt("Once upon a time").maxTokens(3).build());

    assertEquals("The sky is", completion.choices().get(0).text());
    assertEquals("length", completion.choices().get(0).finishReason().asString());
  }

  @Test
  void embeddingsAsFloatsAndAsBase64AreTheSameVector() {
    for (String model : List.of("tiny-embed", "llama3.2")) {
      CreateEmbeddingResponse floats = client.embeddings().create(EmbeddingCreateParams.builder().model(model)
          .input("hello world").encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT).build());
      CreateEmbeddingResponse base64 = client.embeddings().create(EmbeddingCreateParams.builder().model(model)
          .input("hello world").encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64).build());

      List<Float> vector = floats.data().get(0).embeddingValue().asFloats();
      String encoded = base64.data().get(0).embeddingValue().asBase64();
      ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded)).order(ByteOrder.LITTLE_ENDIAN);
      float[] decoded = new float[bytes.remaining() / 4];
      bytes.asFloatBuffer().get(decoded);
      float[] expected = new float[vector.size()];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = vector.get(i);
      }
      assertTrue(expected.length > 0, model);
      assertArrayEquals(expected, decoded, model);
    }
  }

  @Test
  void modelsListNamesEveryModel() {
    List<String> ids = client.models().list().data().stream().map(Model::id).collect(Collectors.toList());

    assertEquals(List.of("tiny", "tiny-embed", "fragile", "llama3.2:latest"), ids);
    assertEquals("tiny", client.models().retrieve("tiny-chat").id());
  }

  @Test
  void unknownModelIsTheSdksNotFound() {
    NotFoundException error = assertThrows(NotFoundException.class,
        () -> client.chat().completions().create(chat("gpt-4o-does-not-exist")));

    assertEquals("model_not_found", error.code().orElseThrow());
    assertEquals("model", error.param().orElseThrow());
  }

  @Test
  void contextOverflowFromLlamaServerIsTheSdksBadRequest() {
    String longPrompt = "hello ".repeat(9000);
    BadRequestException error = assertThrows(BadRequestException.class, () -> client.chat().completions()
        .create(ChatCompletionCreateParams.builder().model("tiny").addUserMessage(longPrompt).build()));

    assertEquals("context_length_exceeded", error.code().orElseThrow());
    assertTrue(error.getMessage().contains("exceeds the available context size"), error.getMessage());
  }

  @Test
  void failureInTheMiddleOfAStreamIsTheSdksError() {
    fragileServer.failNextStreamAfter(3);
    StringBuilder text = new StringBuilder();
    SseException error = assertThrows(SseException.class, () -> {
      try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("fragile"))) {
        stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
      }
    });

    assertEquals(String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS.subList(0, 3)), text.toString(),
        "the events before the failure arrive intact");
    assertTrue(error.getMessage().contains("failed during the stream"), error.getMessage());
  }

  @Test
  void apiKeysAreEnforcedWhenConfigured() {
    try (GatewayFixture guarded = new GatewayFixture()) {
      guarded.start("auth:\n  api_keys: [sk-right]\n" + Yaml.llama("tiny", chatServer.url()).substring(0));
      OpenAIClient wrong = OpenAIOkHttpClient.builder().baseUrl(guarded.apiBase()).apiKey("sk-wrong").maxRetries(0)
          .build();
      OpenAIClient right = OpenAIOkHttpClient.builder().baseUrl(guarded.apiBase()).apiKey("sk-right").maxRetries(0)
          .build();
      try {
        UnauthorizedException error = assertThrows(UnauthorizedException.class,
            () -> wrong.chat().completions().create(chat("tiny")));
        assertEquals("invalid_api_key", error.code().orElseThrow());
        assertFalse(right.chat().completions().create(chat("tiny")).choices().isEmpty());
      } finally {
        wrong.close();
        right.close();
      }
    }
  }
}
