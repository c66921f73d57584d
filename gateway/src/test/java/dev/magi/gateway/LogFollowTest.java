package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.GgufWriter;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/models/{name}/logs?follow=true}: a model server's log as Server-Sent Events, new lines
 * arriving as the server prints them, each with its number for a client that reconnects.
 */
class LogFollowTest {

  @TempDir
  Path dir;

  @Test
  void newLinesArriveAndAReconnectGoesOnWhereItLeftOff() throws Exception {
    GgufWriter.chatModel("model-a", 10).write(dir.resolve("models/model-a.gguf"));
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start(ModelsYaml.models(dir, "load_ms=1500", 4, "  defaults:\n    context: 512\n    parallel: 1\n")
          + "profiles:\n  one:\n    models:\n      - model: model-a\n");
      assertEquals(202, magi.post("/api/models/profile/activate?wait=false", "{\"profile_name\":\"one\"}")
          .statusCode());
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<InputStream> followed = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < deadline) {
        followed = http.send(HttpRequest.newBuilder(URI.create(magi.url() + "/api/models/model-a/logs?follow=true"))
            .build(), HttpResponse.BodyHandlers.ofInputStream());
        if (followed.statusCode() == 200) {
          break;
        }
        followed.body().close();
        Thread.sleep(20);
      }
      assertEquals("text/event-stream", followed.headers().firstValue("Content-Type").orElseThrow());
      List<String> ids = new ArrayList<>();
      String lastData = "";
      try (BufferedReader events = new BufferedReader(new InputStreamReader(followed.body(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = events.readLine()) != null) {
          if (line.startsWith("id: ")) {
            ids.add(line.substring(4));
          } else if (line.startsWith("data: ")) {
            lastData = line.substring(6);
            if (lastData.contains("starting the main loop")) {
              break;
            }
          }
        }
      }
      assertTrue(lastData.contains("starting the main loop"), "the line printed once loaded came: " + ids);
      String resumeAfter = ids.get(0);

      HttpResponse<InputStream> again = http.send(HttpRequest.newBuilder(URI.create(magi.url()
          + "/api/models/model-a/logs?follow=true")).header("Last-Event-ID", resumeAfter).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      try (BufferedReader events = new BufferedReader(new InputStreamReader(again.body(), StandardCharsets.UTF_8))) {
        String first = events.readLine();
        assertEquals("id: " + (Long.parseLong(resumeAfter) + 1), first, "goes on after the last event seen");
      }
      assertEquals(404, magi.get("/api/models/nope/logs?follow=true").statusCode());
    }
  }
}
