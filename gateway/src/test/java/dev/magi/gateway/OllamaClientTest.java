package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.FakeOllama;
import dev.magi.testkit.FreePorts;
import dev.magi.testkit.RepositoryFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ollama's official JavaScript client (npm {@code ollama}, installed by {@code ./run-tests}) against
 * Magi in front of a fake llama-server and a fake Ollama, on Ollama's own port ({@code ollama_api.port}) and under
 * {@code /ollama/api/} on the main port: list, ps, show, chat (whole and streamed), generate, a tool
 * call round trip (whole and streamed), embed, the legacy embeddings, and refusals.
 */
class OllamaClientTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path CLIENTS = RepositoryFiles.path("gateway/src/test/node");
  private static GatewayFixture magi;
  private static int ollamaPort;

  @BeforeAll
  static void start() {
    magi = new GatewayFixture();
    FakeLlamaServer chat = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
    FakeLlamaServer embed = magi.llama(new FakeLlamaServer.Options().alias("tiny-embed").embeddings(true));
    FakeOllama ollama = magi.ollama(new FakeOllama.Options().models(List.of("llama3.2:latest",
        "nomic-embed-text:latest")));
    ollamaPort = FreePorts.any();
    magi.start("ollama_api:\n  port: " + ollamaPort + "\n"
        + "backends:\n"
        + "  - model: tiny\n    url: " + chat.url() + "\n    type: llama-server\n"
        + "  - model: tiny-embed\n    url: " + embed.url() + "\n    type: llama-server\n"
        + "  - url: " + ollama.url() + "\n    type: ollama\n");
  }

  @AfterAll
  static void stop() {
    magi.close();
  }

  /** Runs the client script against {@code host} with the llama-server's models; its output, once it exited 0. */
  private static JsonNode client(String host) throws Exception {
    return client(host, "tiny", "tiny-embed");
  }

  /** Runs the client script against {@code host}; its output, once it exited 0. */
  private static JsonNode client(String host, String chatModel, String embedModel) throws Exception {
    if (!Files.isDirectory(CLIENTS.resolve("node_modules/ollama"))) {
      throw new IllegalStateException("the npm clients are not installed (./run-tests runs npm ci in " + CLIENTS + ")");
    }
    Process node = new ProcessBuilder("node", "ollama-client.mjs", host, chatModel, embedModel)
        .directory(CLIENTS.toFile()).redirectErrorStream(false).start();
    try {
      assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the client finished");
      String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(node.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, node.exitValue(), err + "\n" + out);
      return JSON.readTree(out);
    } finally {
      node.destroyForcibly();
    }
  }

  @Test
  void theOfficialClientWorksOnOllamasOwnPort() throws Exception {
    check(client("http://127.0.0.1:" + ollamaPort));
  }

  @Test
  void theOfficialClientWorksUnderThePrefixOfTheMainPort() throws Exception {
    check(client(magi.url() + "/ollama"));
  }

  @Test
  void theOfficialClientWorksOverAnOllamaBackend() throws Exception {
    JsonNode out = client("http://127.0.0.1:" + ollamaPort, "llama3.2", "nomic-embed-text");

    assertTrue(out.get("tags").toString().contains("\"llama3.2:latest\""), out.get("tags").toString());
    assertFalse(out.at("/chat/content").asText().isEmpty());
    assertTrue(out.at("/chat/done").asBoolean());
    assertTrue(out.at("/chatStream/pieces").size() > 1);
    assertFalse(out.get("generate").asText().isEmpty());
    assertEquals("get_weather", out.at("/toolCalls/0/function/name").asText());
    assertEquals("Paris", out.at("/toolCalls/0/function/arguments/city").asText());
    assertFalse(out.get("afterTool").asText().isEmpty());
    assertEquals("Paris", out.at("/streamedToolCalls/0/function/arguments/city").asText());
    assertEquals("[8,8]", out.get("embed").toString(), "the fake Ollama's 8 dimensions");
    assertEquals(8, out.get("embeddingsLegacy").asInt());
  }

  private static void check(JsonNode out) {
    String tokens = String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS);
    assertTrue(out.get("tags").toString().contains("\"tiny\""), out.get("tags").toString());
    assertTrue(out.get("ps").toString().contains("\"tiny-embed\""), out.get("ps").toString());
    assertEquals("[\"completion\",\"tools\"]", out.get("showCapabilities").toString());

    assertEquals(tokens.substring(0, tokens.indexOf(FakeLlamaServer.TRANSCRIPT_TOKENS.get(4))),
        out.at("/chat/content").asText());
    assertTrue(out.at("/chat/done").asBoolean());
    assertEquals("length", out.at("/chat/doneReason").asText());
    assertEquals(4, out.at("/chat/evalCount").asInt());
    assertTrue(out.at("/chat/promptEvalCount").asInt() > 0);

    assertEquals(FakeLlamaServer.TRANSCRIPT_TOKENS.subList(0, 4).toString(),
        List.of(out.at("/chatStream/pieces/0").asText(), out.at("/chatStream/pieces/1").asText(),
            out.at("/chatStream/pieces/2").asText(), out.at("/chatStream/pieces/3").asText()).toString());
    assertEquals(5, out.at("/chatStream/pieces").size(), "four pieces and the last, empty, line");
    assertEquals(4, out.at("/chatStream/evalCount").asInt());

    assertEquals(String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS.subList(0, 3)), out.get("generate").asText());
    assertEquals(String.join("", FakeLlamaServer.TRANSCRIPT_TOKENS.subList(0, 2)), out.get("generateWhole").asText());

    assertEquals("get_weather", out.at("/toolCalls/0/function/name").asText());
    assertEquals("Paris", out.at("/toolCalls/0/function/arguments/city").asText());
    assertFalse(out.get("afterTool").asText().isEmpty(), "the model answers the tool's result in text");
    assertEquals(1, out.get("streamedToolCalls").size(), "one call, whole, in one line");
    assertEquals("Paris", out.at("/streamedToolCalls/0/function/arguments/city").asText());

    assertEquals("[64,64]", out.get("embed").toString(), "two vectors of the fake's 64 dimensions");
    assertEquals(64, out.get("embeddingsLegacy").asInt());

    assertEquals(404, out.at("/unknownModel/status").asInt());
    assertEquals(404, out.at("/pull/status").asInt());
    assertTrue(out.at("/pull/message").asText().contains("never downloads"), out.get("pull").toString());
  }

  @Test
  void rootAnswersAsOllamaDoesAndTheAdminApiIsNotThere() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> root = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ollamaPort + "/"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals("Ollama is running", root.body());
    HttpResponse<String> admin = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ollamaPort
        + "/api/models/registry")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(404, admin.statusCode());
    assertTrue(JSON.readTree(admin.body()).has("error") && JSON.readTree(admin.body()).get("error").isTextual(),
        "Ollama's error shape: " + admin.body());
  }
}
