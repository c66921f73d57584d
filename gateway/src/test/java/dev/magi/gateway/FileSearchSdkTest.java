package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.responses.FileSearchTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFileSearchToolCall;
import com.openai.models.responses.ResponseIncludable;
import com.openai.models.responses.ResponseOutputText;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.vectorstores.VectorStore;
import com.openai.models.vectorstores.VectorStoreCreateParams;
import dev.magi.testkit.FakeLlamaServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Responses API's {@code file_search} tool, run by Magi over its own vector stores, with the official
 * {@code openai-java} client: the model gets the passages found, the response starts with a
 * {@code file_search_call} item (its results when {@code include} asks), and its text cites the files.
 * Whole and streamed; every response is validated by the SDK.
 */
class FileSearchSdkTest {

  private static GatewayFixture magi;
  private static FakeLlamaServer tiny;
  private static OpenAIClient client;
  private static String store;
  private static String file;

  @BeforeAll
  static void start() throws Exception {
    magi = new GatewayFixture();
    tiny = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
    FakeLlamaServer embed = magi.llama(new FakeLlamaServer.Options().alias("embed").embeddings(true));
    magi.start("retrieval:\n  embedding_model: embed\nbackends:\n"
        + "  - model: tiny\n    url: " + tiny.url() + "\n    type: llama-server\n"
        + "  - model: embed\n    url: " + embed.url() + "\n    type: llama-server\n");
    client = OpenAIOkHttpClient.builder().baseUrl(magi.apiBase()).apiKey("unused").maxRetries(0).build();
    Path handbook = Files.createTempFile("handbook", ".md");
    Files.writeString(handbook, "# Handbook\n\nError code E1234 means the pump ran dry; refill it and restart.");
    FileObject uploaded = client.files().create(FileCreateParams.builder().file(handbook)
        .purpose(FilePurpose.ASSISTANTS).build());
    file = uploaded.id();
    VectorStore created = client.vectorStores().create(VectorStoreCreateParams.builder().name("Handbook").build());
    store = created.id();
    client.vectorStores().files().create(store, com.openai.models.vectorstores.files.FileCreateParams.builder()
        .fileId(file).build());
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!client.vectorStores().files().retrieve(file, com.openai.models.vectorstores.files.FileRetrieveParams
        .builder().vectorStoreId(store).build()).status().asString().equals("completed")) {
      assertTrue(System.nanoTime() < deadline, "ingestion did not complete");
      Thread.sleep(20);
    }
  }

  @AfterAll
  static void stop() {
    client.close();
    magi.close();
  }

  private static ResponseCreateParams.Builder ask(String question) {
    return ResponseCreateParams.builder().model("tiny").input(question).maxOutputTokens(4)
        .addTool(FileSearchTool.builder().vectorStoreIds(List.of(store)).maxNumResults(3).build());
  }

  private static ResponseFileSearchToolCall searchCall(Response response) {
    return response.output().get(0).fileSearchCall().orElseThrow(() -> new AssertionError(
        "the first item is the file search: " + response.output()));
  }

  private static ResponseOutputText text(Response response) {
    return response.output().get(1).message().orElseThrow().content().get(0).outputText().orElseThrow();
  }

  @Test
  void theModelGetsThePassagesAndTheAnswerCitesTheFile() {
    Response response = client.responses().create(ask("What does E1234 mean?").build());
    response.validate();

    ResponseFileSearchToolCall call = searchCall(response);
    assertEquals(List.of("What does E1234 mean?"), call.queries());
    assertEquals(ResponseFileSearchToolCall.Status.COMPLETED, call.status());
    assertTrue(call.results().isEmpty(), "results only when include asks for them");
    ResponseOutputText answer = text(response);
    assertFalse(answer.text().isEmpty());
    ResponseOutputText.Annotation.FileCitation citation = answer.annotations().get(0).fileCitation().orElseThrow();
    assertEquals(file, citation.fileId());
    assertTrue(citation.filename().startsWith("handbook"), citation.filename());
    String context = tiny.lastRequest("/v1/chat/completions").json().at("/messages/0/content").asText();
    assertTrue(context.contains("[1] # Handbook") && context.contains("E1234 means the pump ran dry"), context);

    // The conversation goes on: the file search's item is kept in it, not given to the model again.
    Response next = client.responses().create(ResponseCreateParams.builder().model("tiny").input("Thanks")
        .maxOutputTokens(2).previousResponseId(response.id()).build());
    next.validate();
    assertTrue(next.output().get(0).message().isPresent(), "answered: " + next.output());
  }

  @Test
  void includeGivesTheResultsAndAStreamSaysTheSearchWentOn() {
    List<String> types = new ArrayList<>();
    ResponseAccumulator accumulator = ResponseAccumulator.create();
    try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(ask("E1234")
        .addInclude(ResponseIncludable.FILE_SEARCH_CALL_RESULTS).build())) {
      stream.stream().forEach(event -> {
        accumulator.accumulate(event);
        if (event.isFileSearchCallInProgress()) {
          types.add("in_progress");
        } else if (event.isFileSearchCallSearching()) {
          types.add("searching");
        } else if (event.isFileSearchCallCompleted()) {
          types.add("completed");
        } else if (event.isOutputTextAnnotationAdded()) {
          types.add("annotation");
        }
      });
    }
    Response response = accumulator.response();
    response.validate();

    assertEquals(List.of("in_progress", "searching", "completed", "annotation"), types);
    ResponseFileSearchToolCall.Result result = searchCall(response).results().orElseThrow().get(0);
    assertEquals(file, result.fileId().orElseThrow());
    assertTrue(result.text().orElseThrow().contains("E1234"));
    assertTrue(result.score().orElseThrow() > 0);
    assertEquals(file, text(response).annotations().get(0).fileCitation().orElseThrow().fileId());
  }

  @Test
  void anUnknownStoreIsA404() {
    assertThrows(com.openai.errors.NotFoundException.class, () -> client.responses().create(
        ResponseCreateParams.builder().model("tiny").input("x").addTool(FileSearchTool.builder()
            .vectorStoreIds(List.of("vs_nothing")).build()).build()));
  }
}
