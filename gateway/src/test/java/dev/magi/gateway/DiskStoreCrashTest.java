package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vector stores on disk, in a Magi process killed with SIGKILL in the middle of an ingest: after a
 * restart the store is there, with every batch Magi had acknowledged, and it takes more.
 */
class DiskStoreCrashTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path dir;

  private static HttpResponse<String> post(String url, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String batch(int n) {
    StringBuilder documents = new StringBuilder("{\"documents\":[");
    for (int i = 0; i < 20; i++) {
      documents.append(i > 0 ? "," : "").append("{\"id\":\"b").append(n).append('_').append(i)
          .append("\",\"text\":\"Batch marker").append(n).append(" entry ").append(i).append(".\"}");
    }
    return documents.append("]}").toString();
  }

  private MagiProcess start(Path config) throws Exception {
    MagiProcess magi = MagiProcess.start(dir, Map.of(), "serve", "--config", config.toString(), "--port", "0");
    magi.url();
    return magi;
  }

  @Test
  void aKillNineMidIngestLosesAtMostTheBatchInFlight() throws Exception {
    Vertx vertx = Vertx.vertx();
    FakeLlamaServer embed = Await.result(FakeLlamaServer.start(vertx, new FakeLlamaServer.Options().alias("embed")
        .embeddings(true)));
    Path config = Files.writeString(dir.resolve("magi.yaml"), "retrieval:\n  embedding_model: embed\n  store: disk\n"
        + "models:\n  data: " + dir.resolve("data") + "\nbackends:\n  - model: embed\n    url: " + embed.url() + "\n");
    MagiProcess magi = start(config);
    String store;
    Set<Integer> acknowledged = new HashSet<>();
    try {
      String url = magi.url();
      store = JSON.readTree(post(url + "/v1/vector_stores", "{\"name\":\"crash\"}").body()).get("id").asText();
      for (int n = 0; n < 5; n++) {
        HttpResponse<String> added = post(url + "/v1/vector_stores/" + store + "/documents", batch(n));
        assertEquals(200, added.statusCode(), added.body());
        acknowledged.add(n);
      }
      // One more batch in flight, and the process killed under it.
      CompletableFuture<HttpResponse<String>> inFlight = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url
          + "/v1/vector_stores/" + store + "/documents")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(batch(5))).build(), HttpResponse.BodyHandlers.ofString());
      magi.close();
      inFlight.handle((answer, failure) -> null).join();
    } finally {
      magi.close();
    }

    MagiProcess again = start(config);
    try {
      String url = again.url();
      assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/vector_stores/" + store)).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode(), "the store is there");
      for (int n : acknowledged) {
        JsonNode found = JSON.readTree(post(url + "/v1/vector_stores/" + store + "/search", "{\"query\":\"marker" + n
            + "\",\"max_num_results\":50,\"ranking_options\":{\"ranker\":\"keyword\"}}").body());
        assertEquals(20, found.get("data").size(), "every document of acknowledged batch " + n + ": " + found);
      }
      assertEquals(200, post(url + "/v1/vector_stores/" + store + "/documents", batch(6)).statusCode(),
          "and it takes more");
      JsonNode after = JSON.readTree(post(url + "/v1/vector_stores/" + store + "/search",
          "{\"query\":\"marker6\",\"max_num_results\":50,\"ranking_options\":{\"ranker\":\"keyword\"}}").body());
      assertEquals(20, after.get("data").size());
      assertTrue(again.output().contains("vector stores and files: disk (" + dir.resolve("data").resolve("retrieval")),
          "it says where its stores are: " + again.output());
    } finally {
      again.close();
      Await.result(vertx.close());
    }
  }
}
