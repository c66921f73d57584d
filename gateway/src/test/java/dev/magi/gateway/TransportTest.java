package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.gateway.config.ConfigException;
import dev.magi.gateway.config.ConfigLoader;
import dev.magi.gateway.config.NetworkTransport;
import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native libraries ship in the jar for the platforms Magi is built for and load; {@code
 * server.transport} chooses among them, and the gateway serves the same answers on each.
 */
class TransportTest {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir
  Path dir;

  @Test
  @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "aarch64"})
  void autoRunsOnEpollAndIoUringLoadsWhenNamed() {
    assertTrue(Transport.EPOLL.available(), () -> "epoll did not load: " + Transport.EPOLL.unavailabilityCause());
    assertEquals(Transport.EPOLL.name(), NetworkTransport.AUTO.resolve().name());
    Throwable refused = Transport.IO_URING.unavailabilityCause();
    // The library must load; only the kernel (or a seccomp profile) may refuse io_uring itself.
    assertFalse(refused instanceof LinkageError || refused instanceof ClassNotFoundException,
        () -> "the io_uring library is not in the jar: " + refused);
    Vertx vertx = Gateway.newVertx(NetworkTransport.AUTO.resolve(), null);
    try {
      assertTrue(vertx.isNativeTransportEnabled(), () -> "no native transport: " + vertx.unavailableNativeTransportCause());
    } finally {
      Await.result(vertx.close());
    }
  }

  @Test
  void anUnknownTransportIsAConfigurationError() {
    ConfigException error = assertThrows(ConfigException.class,
        () -> ConfigLoader.fromYaml("server:\n  transport: kqueue2\n", Map.of()));
    assertEquals("server.transport: must be auto, io_uring, epoll or nio, got 'kqueue2'", error.getMessage());
    assertEquals(NetworkTransport.AUTO, ConfigLoader.fromYaml("server: {}\n", Map.of()).server().transport());
    assertEquals(NetworkTransport.NIO, ConfigLoader.fromYaml("server:\n  transport: NIO\n", Map.of()).server().transport());
  }

  @Test
  @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "aarch64"})
  void everyTransportServesTheSameAnswers() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      FakeLlamaServer llama = Await.result(FakeLlamaServer.start(vertx, new FakeLlamaServer.Options()));
      for (NetworkTransport transport : NetworkTransport.values()) {
        if (transport == NetworkTransport.AUTO
            || transport == NetworkTransport.IO_URING && !Transport.IO_URING.available()) {
          continue;
        }
        Path config = Files.writeString(dir.resolve("magi-" + transport.label() + ".yaml"), "server:\n  port: 0\n"
            + "  transport: " + transport.label() + "\nmodels:\n  data: " + dir.resolve("data-" + transport.label())
            + "\n  dir: " + dir.resolve("models") + "\n" + Yaml.llama("tiny", llama.url()));
        try (MagiProcess magi = MagiProcess.start(dir, Map.of(), "serve", "--config", config.toString())) {
          String url = magi.url();
          assertTrue(magi.output().contains("(" + transport.resolve().name() + " transport)"), magi.output());
          for (boolean stream : new boolean[] {false, true}) {
            HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"tiny\",\"max_tokens\":4,\"stream\":" + stream
                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), transport + ": " + answer.body());
            assertTrue(stream ? answer.body().endsWith("data: [DONE]\n\n") : answer.body().contains("\"usage\""),
                transport + ": " + answer.body());
          }
        }
      }
    } finally {
      Await.result(vertx.close());
    }
  }
}
