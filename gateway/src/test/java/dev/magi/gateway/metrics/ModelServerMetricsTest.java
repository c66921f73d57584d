package dev.magi.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.registry.LaunchSettings;
import dev.magi.servers.ServerInfo;
import dev.magi.servers.ServerState;
import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
import dev.magi.testkit.FreePorts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Model servers' own series re-exported: asked over real sockets from fake llama-servers, one with
 * {@code --metrics}, one without (501), one gone; and the merge on its own.
 */
class ModelServerMetricsTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    Await.result(vertx.close());
  }

  private static ServerInfo ready(String name, String model, int port) {
    return new ServerInfo(name, model, LaunchSettings.DEFAULTS, port, 1, ServerState.READY, Optional.empty(), 0, "");
  }

  @Test
  void readyServersAreAskedAndTheOnesThatFailAreCounted() throws Exception {
    FakeLlamaServer withMetrics = Await.result(FakeLlamaServer.start(vertx, new FakeLlamaServer.Options().metrics(true)));
    FakeLlamaServer without = Await.result(FakeLlamaServer.start(vertx, new FakeLlamaServer.Options()));
    int gone = FreePorts.any();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ModelServerMetrics metrics = new ModelServerMetrics(vertx.createHttpClient(), () -> List.of(
        ready("qwen", "qwen", withMetrics.port()), ready("qwen#2", "qwen", without.port()),
        ready("llama", "llama", gone),
        new ServerInfo("starting", "x", LaunchSettings.DEFAULTS, withMetrics.port(), 2, ServerState.STARTING,
            Optional.empty(), 0, "")), registry);

    String text = Await.result(metrics.scrape());

    assertTrue(text.contains("# HELP llamacpp_prompt_tokens_total Number of prompt tokens processed.\n"
        + "# TYPE llamacpp_prompt_tokens_total counter\n"
        + "llamacpp_prompt_tokens_total{model=\"qwen\",instance=\"qwen\"} 0\n"), text);
    assertTrue(text.contains("# TYPE llamacpp_n_busy_slots_per_decode untyped\n"), "an average is no counter: " + text);
    assertFalse(text.contains("instance=\"starting\""), "only ready servers are asked");
    assertEquals(1, registry.get("magi.model.server.scrape.failures").tag("model", "qwen").counter().count());
    assertEquals(1, registry.get("magi.model.server.scrape.failures").tag("model", "llama").counter().count());
  }

  @Test
  void familiesAreMergedUnderOneHelpAndTypeAndStrangeLinesAreDropped() {
    String a = "# HELP llamacpp:requests_processing Number of requests processing.\n"
        + "# TYPE llamacpp:requests_processing gauge\nllamacpp:requests_processing 2\n"
        + "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 5\n"
        + "llamacpp:broken line\nllamacpp:x{model=\"spoofed\"} 1\n";
    String b = "# HELP llamacpp:requests_processing Number of requests processing.\n"
        + "# TYPE llamacpp:requests_processing gauge\nllamacpp:requests_processing 1\n";
    String merged = ExpositionMerge.merge(List.of(new ExpositionMerge.Source("m\"1", "m#1", a),
        new ExpositionMerge.Source("m2", "m2", b)), "llamacpp:");
    assertEquals("# HELP llamacpp_requests_processing Number of requests processing.\n"
        + "# TYPE llamacpp_requests_processing gauge\n"
        + "llamacpp_requests_processing{model=\"m\\\"1\",instance=\"m#1\"} 2\n"
        + "llamacpp_requests_processing{model=\"m2\",instance=\"m2\"} 1\n", merged);
  }
}
