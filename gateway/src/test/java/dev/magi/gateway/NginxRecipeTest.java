package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.RepositoryFiles;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker/proxy/nginx.conf}, run by a real nginx in front of a gateway: the API under the base
 * path, a stream paced as the backend produced it (not buffered), and what the front door keeps out.
 */
class NginxRecipeTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path dir;

  @Test
  void aChatStreamsThroughTheRecipeUnderTheBasePathEventByEvent() throws Exception {
    String recipe = Files.readString(RepositoryFiles.path("docker/proxy/nginx.conf"));
    try (GatewayFixture magi = new GatewayFixture()) {
      long tokenMillis = 80;
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny").tokenDelayMillis(tokenMillis));
      magi.start(Yaml.llama("tiny", llama.url()));
      try (NginxFront nginx = NginxFront.recipe(dir, recipe, magi.gateway().port())) {
        String front = "http://127.0.0.1:" + nginx.port + "/magi";
        assertEquals(200, get(front + "/healthz", null).statusCode());
        assertTrue(get(front + "/v1/models", null).body().contains("\"id\":\"tiny\""));

        HttpResponse<InputStream> stream = HTTP.send(HttpRequest.newBuilder(URI.create(front + "/v1/chat/completions"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":6,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Hi\"}]}")).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        List<Long> arrivals = new ArrayList<>();
        List<String> events = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
          for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("data: ")) {
              arrivals.add(System.nanoTime());
              events.add(line);
            }
          }
        }
        assertEquals("data: [DONE]", events.get(events.size() - 1));
        assertTrue(events.size() >= 7, "the role, six tokens and the end: " + events.size());
        // Six tokens 80 ms apart: events that came through one by one are spread over 400 ms; a
        // buffered answer would arrive all at once.
        long spreadMillis = (arrivals.get(arrivals.size() - 1) - arrivals.get(0)) / 1_000_000;
        assertTrue(spreadMillis >= 4 * tokenMillis, "events arrived over " + spreadMillis + " ms");

        // The front door: no metrics, and the admin API is not local through it.
        assertEquals(404, get(front + "/metrics", null).statusCode());
        assertEquals(403, get(front + "/api/router", null).statusCode());
        assertEquals("", nginx.errorLog().lines().filter(l -> l.contains("[error]") || l.contains("[crit]"))
            .reduce("", String::concat));
      }
      // Magi itself refuses a proxied scrape without a token, wherever the proxy stands.
      assertEquals(403, get(magi.url() + "/metrics", "203.0.113.7").statusCode());
      assertEquals(200, get(magi.url() + "/metrics", null).statusCode());
    }
  }

  private static HttpResponse<String> get(String url, String forwardedFor) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
    if (forwardedFor != null) {
      request.header("X-Forwarded-For", forwardedFor);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
