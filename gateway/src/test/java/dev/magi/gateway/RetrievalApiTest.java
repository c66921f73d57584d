package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.vectorstores.VectorStore;
import com.openai.models.vectorstores.VectorStoreCreateParams;
import com.openai.models.vectorstores.VectorStoreSearchParams;
import com.openai.models.vectorstores.VectorStoreSearchResponse;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.FreePorts;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Path;

/**
 * Vector stores through the HTTP API, against the in-memory store and the real PostgreSQL with pgvector,
 * embedded by a fake llama-server (deterministic vectors: equal texts embed equally).
 */
class RetrievalApiTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PG = "postgresql://postgres@127.0.0.1:5432/test";

  private static String config(FakeLlamaServer chat, FakeLlamaServer embed) {
    return "retrieval:\n  embedding_model: embed\nbackends:\n"
        + "  - model: tiny\n    url: " + chat.url() + "\n"
        + "  - model: embed\n    url: " + embed.url() + "\n";
  }

  private static FakeLlamaServer chatServer(GatewayFixture magi) {
    return magi.llama(new FakeLlamaServer.Options().alias("tiny"));
  }

  /** Embeddings for the stores: deterministic 64-dimension vectors, equal texts embed equally. */
  private static FakeLlamaServer embedServer(GatewayFixture magi) {
    return magi.llama(new FakeLlamaServer.Options().alias("embed").embeddings(true));
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  private static String createStore(GatewayFixture magi) throws IOException {
    HttpResponse<String> created = magi.post("/v1/vector_stores", "{\"name\":\"Support\",\"metadata\":{\"team\":\"a\"}}");
    assertEquals(200, created.statusCode(), created.body());
    return json(created).get("id").asText();
  }

  private static void ingest(GatewayFixture magi, String store) throws IOException {
    HttpResponse<String> added = magi.post("/v1/vector_stores/" + store + "/documents", "{\"documents\":["
        + "{\"id\":\"refunds\",\"text\":\"Refunds are paid within 14 days.\",\"attributes\":{\"topic\":\"billing\",\"year\":2024}},"
        + "{\"id\":\"shipping\",\"text\":\"Parcels ship from Lyon every weekday.\",\"attributes\":{\"topic\":\"logistics\"}},"
        + "{\"text\":\"Support answers in French and English.\"}]}");
    assertEquals(200, added.statusCode(), added.body());
    assertEquals(3, json(added).get("data").size());
  }

  @TempDir
  Path dataDir;

  /** The environment and configuration that put the vector stores in {@code store}. */
  private Map<String, String> storeEnvironment(String store) {
    return switch (store) {
      case "postgresql" -> Map.of("DATABASE_URL", PG);
      case "disk" -> Map.of("MAGI_RETRIEVAL_STORE", "disk");
      default -> Map.of();
    };
  }

  private String config(FakeLlamaServer chat, FakeLlamaServer embed, String store) {
    return config(chat, embed) + (store.equals("disk") ? "models:\n  data: " + dataDir + "\n" : "");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"memory", "disk", "postgresql"})
  void createIngestSearchAndDelete(String store) throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer chat = chatServer(magi);
      FakeLlamaServer embed = embedServer(magi);
      magi.start(config(chat, embed, store), storeEnvironment(store));
      String id = createStore(magi);
      JsonNode info = json(magi.get("/v1/vector_stores/" + id));
      assertEquals("vector_store", info.get("object").asText());
      assertEquals(64, info.get("dimensions").asInt(), "learned from the embedding model");
      assertEquals("a", info.at("/metadata/team").asText());
      assertEquals(!store.equals("memory"), info.get("persistent").asBoolean(), "says whether it survives a restart");
      JsonNode ready = json(magi.get("/readyz"));
      assertEquals(store, ready.at("/retrieval/store").asText());
      assertEquals(!store.equals("memory"), ready.at("/retrieval/persistent").asBoolean());
      assertEquals(store.equals("memory"), ready.at("/retrieval/warning").asText().contains("lost when Magi stops"));
      ingest(magi, id);

      JsonNode page = json(magi.post("/v1/vector_stores/" + id + "/search",
          "{\"query\":\"Refunds are paid within 14 days.\",\"max_num_results\":2}"));
      assertEquals("vector_store.search_results.page", page.get("object").asText());
      assertEquals(2, page.get("data").size());
      assertEquals("refunds", page.at("/data/0/file_id").asText());
      assertEquals(1.0, page.at("/data/0/score").asDouble(), 1e-5, "the same text embeds to the same vector");
      assertEquals("Refunds are paid within 14 days.", page.at("/data/0/content/0/text").asText());
      assertEquals("billing", page.at("/data/0/attributes/topic").asText());

      JsonNode filtered = json(magi.post("/v1/vector_stores/" + id + "/search", "{\"query\":\"anything\","
          + "\"filters\":{\"type\":\"and\",\"filters\":[{\"type\":\"eq\",\"key\":\"topic\",\"value\":\"billing\"},"
          + "{\"type\":\"gte\",\"key\":\"year\",\"value\":2020}]}}"));
      assertEquals(1, filtered.get("data").size());
      assertEquals("refunds", filtered.at("/data/0/file_id").asText());

      assertTrue(magi.get("/v1/vector_stores").body().contains(id));
      assertEquals(200, magi.delete("/v1/vector_stores/" + id).statusCode());
      HttpResponse<String> gone = magi.get("/v1/vector_stores/" + id);
      assertEquals(404, gone.statusCode());
      assertEquals("vector_store_not_found", json(gone).at("/error/code").asText());
    }
  }

  @Test
  void onDiskAStoreOutlivesARestartAndIsSearchedByExactWord() throws Exception {
    String id;
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config(chatServer(magi), embedServer(magi), "disk"), storeEnvironment("disk"));
      id = createStore(magi);
      ingest(magi, id);
    }
    try (GatewayFixture again = new GatewayFixture()) {
      again.start(config(chatServer(again), embedServer(again), "disk"), storeEnvironment("disk"));
      assertEquals("Support", json(again.get("/v1/vector_stores/" + id)).get("name").asText(), "the store is back");

      JsonNode byWord = json(again.post("/v1/vector_stores/" + id + "/search",
          "{\"query\":\"lyon\",\"ranking_options\":{\"ranker\":\"keyword\"}}"));
      assertEquals(1, byWord.get("data").size(), byWord.toString());
      assertEquals("shipping", byWord.at("/data/0/file_id").asText());
      JsonNode hybrid = json(again.post("/v1/vector_stores/" + id + "/search",
          "{\"query\":\"Which city do parcels leave from? Lyon\",\"ranking_options\":{\"ranker\":\"auto\","
          + "\"score_threshold\":0.4}}"));
      assertEquals("shipping", hybrid.at("/data/0/file_id").asText(), hybrid.toString());
      JsonNode byMeaning = json(again.post("/v1/vector_stores/" + id + "/search",
          "{\"query\":\"Refunds are paid within 14 days.\",\"ranking_options\":{\"ranker\":\"vector\"}}"));
      assertEquals(1.0, byMeaning.at("/data/0/score").asDouble(), 1e-5, "by meaning, the score is the similarity");
      HttpResponse<String> wrong = again.post("/v1/vector_stores/" + id + "/search",
          "{\"query\":\"x\",\"ranking_options\":{\"ranker\":\"magic\"}}");
      assertEquals(400, wrong.statusCode());
      assertEquals("ranking_options.ranker", json(wrong).at("/error/param").asText());
      assertEquals(400, again.post("/v1/vector_stores/" + id + "/search",
          "{\"query\":\"x\",\"ranking_options\":{\"score_threshold\":2}}").statusCode());
    }
  }

  /** A real PDF whose one page says {@code words}. */
  private static byte[] pdf(String words) throws Exception {
    try (org.apache.pdfbox.pdmodel.PDDocument document = new org.apache.pdfbox.pdmodel.PDDocument();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream()) {
      org.apache.pdfbox.pdmodel.PDPage page = new org.apache.pdfbox.pdmodel.PDPage();
      document.addPage(page);
      try (org.apache.pdfbox.pdmodel.PDPageContentStream text =
          new org.apache.pdfbox.pdmodel.PDPageContentStream(document, page)) {
        text.beginText();
        text.setFont(new org.apache.pdfbox.pdmodel.font.PDType1Font(
            org.apache.pdfbox.pdmodel.font.Standard14Fonts.FontName.HELVETICA), 12);
        text.newLineAtOffset(72, 700);
        text.showText(words);
        text.endText();
      }
      document.save(out);
      return out.toByteArray();
    }
  }

  /** Attaches {@code fileId} to {@code store} and waits until it is ingested. */
  private static void attach(GatewayFixture magi, String store, String fileId) throws Exception {
    assertEquals(200, magi.post("/v1/vector_stores/" + store + "/files", "{\"file_id\":\"" + fileId + "\"}")
        .statusCode());
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      JsonNode attached = json(magi.get("/v1/vector_stores/" + store + "/files/" + fileId));
      if (attached.get("status").asText().equals("completed")) {
        return;
      }
      assertEquals("in_progress", attached.get("status").asText(), attached.toString());
      assertTrue(System.nanoTime() < deadline, "ingestion did not complete");
      Thread.sleep(20);
    }
  }

  @Test
  void pdfHtmlAndMarkdownUploadedWithoutADatabaseAreSearchedAfterARestart() throws Exception {
    String store;
    String manual;
    String faq;
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(config(chatServer(magi), embedServer(magi), "disk"), storeEnvironment("disk"));
      HttpResponse<String> pdf = upload(magi, "manual.pdf", pdf("Error code E1234 means the pump ran dry."),
          "assistants");
      assertEquals(200, pdf.statusCode(), pdf.body());
      manual = json(pdf).get("id").asText();
      faq = json(upload(magi, "faq.md", "# FAQ\n\nOur office in Lyon opens at nine.".getBytes(), "assistants"))
          .get("id").asText();
      String page = json(upload(magi, "about.html", ("<html><head><title>About</title><script>x()</script></head>"
          + "<body><p>We repair pumps since 1987.</p></body></html>").getBytes(), "assistants")).get("id").asText();
      HttpResponse<String> broken = upload(magi, "broken.pdf", "%PDF-1.7 torn".getBytes(), "assistants");
      assertEquals(400, broken.statusCode());
      assertTrue(json(broken).at("/error/message").asText().startsWith("The PDF could not be read"), broken.body());
      store = createStore(magi);
      attach(magi, store, manual);
      attach(magi, store, faq);
      attach(magi, store, page);
    }
    try (GatewayFixture again = new GatewayFixture()) {
      again.start(config(chatServer(again), embedServer(again), "disk"), storeEnvironment("disk"));
      JsonNode code = json(again.post("/v1/vector_stores/" + store + "/search", "{\"query\":\"what is E1234\"}"));
      assertEquals(manual, code.at("/data/0/file_id").asText(), "the exact code finds the PDF: " + code);
      assertEquals("manual.pdf", code.at("/data/0/filename").asText(), "a file's match is named by the file");
      assertTrue(code.at("/data/0/content/0/text").asText().contains("the pump ran dry"), code.toString());
      JsonNode meaning = json(again.post("/v1/vector_stores/" + store + "/search",
          "{\"query\":\"# FAQ\\n\\nOur office in Lyon opens at nine.\",\"ranking_options\":{\"ranker\":\"vector\"}}"));
      assertEquals(faq, meaning.at("/data/0/file_id").asText(), "by meaning: " + meaning);
      JsonNode html = json(again.post("/v1/vector_stores/" + store + "/search",
          "{\"query\":\"1987\",\"ranking_options\":{\"ranker\":\"keyword\"}}"));
      assertTrue(html.at("/data/0/content/0/text").asText().contains("We repair pumps since 1987."), html.toString());
      // OpenAI's hybrid_search weights: by words alone, the code's PDF; by meaning alone, the FAQ's own text.
      JsonNode wordsOnly = json(again.post("/v1/vector_stores/" + store + "/search", "{\"query\":\"# FAQ\\n\\n"
          + "Our office in Lyon opens at nine. E1234\",\"ranking_options\":{\"hybrid_search\":"
          + "{\"embedding_weight\":0,\"text_weight\":1}}}"));
      JsonNode meaningOnly = json(again.post("/v1/vector_stores/" + store + "/search", "{\"query\":\"# FAQ\\n\\n"
          + "Our office in Lyon opens at nine. E1234\",\"ranking_options\":{\"hybrid_search\":"
          + "{\"embedding_weight\":1,\"text_weight\":0}}}"));
      JsonNode byVector = json(again.post("/v1/vector_stores/" + store + "/search", "{\"query\":\"# FAQ\\n\\n"
          + "Our office in Lyon opens at nine. E1234\",\"ranking_options\":{\"ranker\":\"vector\"}}"));
      assertEquals(byVector.findValuesAsText("file_id"), meaningOnly.findValuesAsText("file_id"),
          "with the words' weight at 0, the order is the vector ranking's");
      assertEquals(1.0, meaningOnly.at("/data/0/score").asDouble(), 1e-6, meaningOnly.toString());
      assertTrue(wordsOnly.get("data").size() >= 2, "both files share words with the query: " + wordsOnly);
      assertEquals(400, again.post("/v1/vector_stores/" + store + "/search", "{\"query\":\"x\",\"ranking_options\":"
          + "{\"hybrid_search\":{\"embedding_weight\":0,\"text_weight\":0}}}").statusCode());
      assertFalse(html.toString().contains("x()"), "no script text");
    }
  }

  @Test
  void theOfficialClientCreatesAndSearches() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer chat = chatServer(magi);
      FakeLlamaServer embed = embedServer(magi);
      magi.start(config(chat, embed), Map.of("DATABASE_URL", PG));
      OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(magi.apiBase()).apiKey("unused").maxRetries(0)
          .build();
      try {
        VectorStore store = client.vectorStores().create(VectorStoreCreateParams.builder().name("Docs").build());
        assertTrue(store.id().startsWith("vs_"));
        ingest(magi, store.id());

        List<VectorStoreSearchResponse> results = client.vectorStores().search(store.id(),
            VectorStoreSearchParams.builder().query("Parcels ship from Lyon every weekday.").maxNumResults(1).build())
            .data();

        assertEquals(1, results.size());
        assertEquals("shipping", results.get(0).fileId());
        assertEquals("Parcels ship from Lyon every weekday.", results.get(0).content().get(0).text());
        client.vectorStores().delete(store.id());
      } finally {
        client.close();
      }
    }
  }

  @Test
  void theOfficialClientUploadsAFileAttachesItAndSearches() throws Exception {
    java.nio.file.Path faq = java.nio.file.Files.createTempFile("faq", ".md");
    java.nio.file.Files.writeString(faq, "# FAQ\n\nOur office in Lyon opens at nine.");
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer chat = chatServer(magi);
      FakeLlamaServer embed = embedServer(magi);
      magi.start(config(chat, embed), Map.of("DATABASE_URL", PG));
      OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(magi.apiBase()).apiKey("unused").maxRetries(0)
          .build();
      try {
        com.openai.models.files.FileObject file = client.files().create(com.openai.models.files.FileCreateParams
            .builder().file(faq).purpose(com.openai.models.files.FilePurpose.ASSISTANTS).build());
        assertTrue(file.id().startsWith("file-"));
        VectorStore store = client.vectorStores().create(VectorStoreCreateParams.builder().name("FAQ").build());

        client.vectorStores().files().create(store.id(),
            com.openai.models.vectorstores.files.FileCreateParams.builder().fileId(file.id()).build());
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!client.vectorStores().files().retrieve(file.id(), com.openai.models.vectorstores.files
            .FileRetrieveParams.builder().vectorStoreId(store.id()).build()).status().asString().equals("completed")) {
          assertTrue(System.nanoTime() < deadline, "ingestion did not complete");
          Thread.sleep(20);
        }
        List<VectorStoreSearchResponse> results = client.vectorStores().search(store.id(),
            VectorStoreSearchParams.builder().query("# FAQ\n\nOur office in Lyon opens at nine.").build()).data();

        assertEquals(file.id(), results.get(0).fileId());
        assertEquals(1.0, results.get(0).score(), 1e-5);
      } finally {
        client.close();
      }
    }
  }

  @Test
  void uploadsArriveInAPrivateDirectoryUnderTheDataDirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer chat = chatServer(magi);
      FakeLlamaServer embed = embedServer(magi);
      magi.start("models:\n  data: " + dir.resolve("data") + "\n" + config(chat, embed));
      java.nio.file.Path uploads = dir.resolve("data/uploads");
      assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
          java.nio.file.Files.getPosixFilePermissions(uploads)));
      String boundary = "b0undary";
      String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n"
          + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
          + "Content-Type: text/plain\r\n\r\nhello\r\n--" + boundary + "--\r\n";
      HttpResponse<String> uploaded = GatewayFixture.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(magi.url() + "/v1/files")).header("Content-Type", "multipart/form-data; boundary="
          + boundary).POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
      assertEquals(200, uploaded.statusCode(), uploaded.body());
      // The upload is deleted once answered, asynchronously.
      long until = System.nanoTime() + 10_000_000_000L;
      while (true) {
        try (java.util.stream.Stream<java.nio.file.Path> left = java.nio.file.Files.list(uploads)) {
          if (left.count() == 0) {
            break;
          }
        }
        assertTrue(System.nanoTime() < until, "the upload was never deleted");
        Thread.sleep(10);
      }
    }
  }

  @Test
  void onlyTextFilesAreAccepted() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer chat = chatServer(magi);
      FakeLlamaServer embed = embedServer(magi);
      magi.start(config(chat, embed));

      HttpResponse<String> image = upload(magi, "photo.png", new byte[] {(byte) 0x89, 'P', 'N', 'G'}, "assistants");
      HttpResponse<String> badUtf8 = upload(magi, "notes.txt", new byte[] {(byte) 0xC3, (byte) 0x28}, "assistants");
      HttpResponse<String> badPurpose = upload(magi, "notes.txt", "hi".getBytes(), "fine-tune");
      HttpResponse<String> tooBig = upload(magi, "big.txt", new byte[9 << 20], "assistants");

      assertEquals(400, image.statusCode());
      assertEquals("file", json(image).at("/error/param").asText());
      assertEquals(400, badUtf8.statusCode());
      assertTrue(json(badUtf8).at("/error/message").asText().contains("not valid UTF-8"));
      assertEquals("purpose", json(badPurpose).at("/error/param").asText());
      assertEquals(413, tooBig.statusCode());
      assertEquals(0, json(magi.get("/v1/files")).get("data").size(), "nothing was stored");
    }
  }

  private static HttpResponse<String> upload(GatewayFixture magi, String name, byte[] content, String purpose) {
    String boundary = "----magi" + System.nanoTime();
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose
        + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
        + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes());
    body.writeBytes(content);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes());
    return GatewayFixture.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(magi.url() + "/v1/files"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
  }

  @Test
  void chatWithRetrievalGetsTheContextAndSaysHowMuch() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer chat = chatServer(magi);
      FakeLlamaServer embed = embedServer(magi);
      magi.start(config(chat, embed));
      String id = createStore(magi);
      ingest(magi, id);

      HttpResponse<String> answer = magi.post("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":["
          + "{\"role\":\"user\",\"content\":\"Refunds are paid within 14 days.\"}],"
          + "\"retrieval\":{\"vector_store_id\":\"" + id + "\",\"max_num_results\":2}}");

      assertEquals(200, answer.statusCode(), answer.body());
      assertEquals("2", answer.headers().firstValue("x-magi-retrieval-count").orElseThrow());
      JsonNode sent = chat.lastRequest("/v1/chat/completions").json();
      assertFalse(sent.has("retrieval"), "the Magi field is removed before forwarding");
      assertEquals("system", sent.at("/messages/0/role").asText());
      assertTrue(sent.at("/messages/0/content").asText().contains("[1] Refunds are paid within 14 days."));
      assertEquals("user", sent.at("/messages/1/role").asText());
    }
  }

  @Test
  void whenTheDatabaseIsAwayChatStillAnswersUnlessRetrievalIsRequired() throws Exception {
    try (GatewayFixture magi = new GatewayFixture();
        LogCapture log = new LogCapture(dev.magi.gateway.rag.Retrieval.class.getName())) {
      FakeLlamaServer chat = chatServer(magi);
      FakeLlamaServer embed = embedServer(magi);
      magi.start(config(chat, embed), Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:" + FreePorts.any()
          + "/test"));
      String body = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
          + "\"retrieval\":{\"vector_store_id\":\"vs_0123456789abcdef01234567\"%s}}";

      HttpResponse<String> skipped = magi.post("/v1/chat/completions", String.format(body, ""));
      HttpResponse<String> required = magi.post("/v1/chat/completions", String.format(body, ",\"required\":true"));
      HttpResponse<String> api = magi.post("/v1/vector_stores", "{\"name\":\"x\"}");

      assertEquals(200, skipped.statusCode(), skipped.body());
      assertTrue(skipped.headers().firstValue("x-magi-retrieval").orElseThrow().startsWith("skipped: "));
      assertEquals(503, required.statusCode());
      assertEquals("retrieval_unavailable", json(required).at("/error/code").asText());
      assertEquals(503, api.statusCode());
      assertEquals("retrieval_unavailable", json(api).at("/error/code").asText());
      // The database's address and its driver's words are for the log, not for clients.
      for (String seen : List.of(skipped.headers().firstValue("x-magi-retrieval").orElseThrow(), required.body(),
          api.body())) {
        assertTrue(!seen.contains("127.0.0.1") && !seen.toLowerCase().contains("connection refused"), seen);
      }
      String outage = log.next(30, "an outage message");
      if (outage.startsWith("vector stores and files: ")) {
        outage = log.next(30, "an outage message"); // where the stores are, said at startup
      }
      assertTrue(outage.startsWith("retrieval database unavailable: ") && outage.contains("127.0.0.1"), outage);
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (magi.get("/readyz").body().contains("\"available\":true")) {
        assertTrue(System.nanoTime() < deadline, "readyz did not report retrieval as unavailable");
        Thread.sleep(50);
      }
      assertEquals(200, magi.get("/readyz").statusCode(), "the gateway itself stays ready");
      assertEquals(null, log.poll(), "an outage is logged once, not at every check");
    }
  }

  @Test
  void badInputIsRefusedAndNothingIsWritten() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer chat = chatServer(magi);
      FakeLlamaServer embed = embedServer(magi);
      magi.start(config(chat, embed), Map.of("DATABASE_URL", PG));
      String id = createStore(magi);
      String[][] cases = {
          {"/documents", "{\"documents\":[]}", "documents"},
          {"/documents", "{\"documents\":[{\"text\":\"  \"}]}", "documents[0].text"},
          {"/documents", "{\"documents\":[{\"id\":\"x'; DROP TABLE magi.collections; --\",\"text\":\"t\"}]}",
              "documents[0].id"},
          {"/documents", "{\"documents\":[{\"text\":\"t\",\"attributes\":{\"a\":{\"nested\":1}}}]}",
              "documents[0].attributes.a"},
          {"/search", "{\"query\":\"\"}", "query"},
          {"/search", "{\"query\":\"q\",\"max_num_results\":500}", "max_num_results"},
          {"/search", "{\"query\":\"q\",\"filters\":{\"type\":\"drop\",\"key\":\"a\",\"value\":1}}", "filters.type"},
          // Types are checked, never coerced; the param is the path of the value at fault.
          {"/search", "{\"query\":\"q\",\"max_num_results\":\"5\"}", "max_num_results"},
          {"/search", "{\"query\":\"q\",\"max_num_results\":5.5}", "max_num_results"},
          {"/search", "{\"query\":\"q\",\"max_num_results\":100000000000000000000000}", "max_num_results"},
          {"/search", "{\"query\":\"q\",\"ranking_options\":{\"score_threshold\":\"high\"}}",
              "ranking_options.score_threshold"},
          {"/search", "{\"query\":\"q\",\"ranking_options\":{\"hybrid_search\":{\"text_weight\":-1}}}",
              "ranking_options.hybrid_search.text_weight"},
          {"/search", "{\"query\":\"q\",\"filters\":{\"type\":\"and\",\"filters\":[{\"type\":\"eq\",\"key\":7,"
              + "\"value\":1}]}}", "filters.filters[0].key"},
          {"/documents", "{\"documents\":[{\"text\":\"t\"},{\"text\":5}]}", "documents[1].text"},
          {"/documents", "{\"documents\":{\"text\":\"t\"}}", "documents"},
          {"/files", "{\"file_id\":[\"file-1\"]}", "file_id"},
      };
      for (String[] c : cases) {
        HttpResponse<String> response = magi.post("/v1/vector_stores/" + id + c[0], c[1]);
        assertEquals(400, response.statusCode(), c[1]);
        assertEquals(c[2], json(response).at("/error/param").asText(), response.body());
      }
      HttpResponse<String> twice = magi.post("/v1/vector_stores/" + id + "/search", "{\"query\":\"q\",\"query\":\"r\"}");
      assertEquals(400, twice.statusCode(), "a key given twice is refused");
      assertFalse(twice.body().contains("java") || twice.body().contains("jackson"), twice.body());
      HttpResponse<String> typed = magi.post("/v1/vector_stores/" + id + "/search", "{\"query\":\"q\",\"max_num_results\":\"5\"}");
      assertEquals("'max_num_results' must be a number.", json(typed).at("/error/message").asText(),
          "the message names what is expected, not a Java type");
      HttpResponse<String> injected = magi.post("/v1/vector_stores/" + id + "/search", "{\"query\":\"q\",\"filters\":"
          + "{\"type\":\"eq\",\"key\":\"topic') OR 1=1; --\",\"value\":\"x\"}}");
      assertEquals(200, injected.statusCode());
      assertEquals(0, json(injected).get("data").size());
      assertEquals(404, magi.get("/v1/vector_stores/vs_x%27%3B%20DROP").statusCode());
      assertTrue(magi.get("/v1/vector_stores").body().contains(id), "the store and its table are intact");
    }
  }
}
