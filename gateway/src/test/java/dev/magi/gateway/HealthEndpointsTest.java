package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class HealthEndpointsTest {

  @Test
  void healthzAnswersWithNoBackendsAtAll() {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("");

      assertEquals(200, magi.get("/healthz").statusCode());
      HttpResponse<String> ready = magi.get("/readyz");
      assertEquals(503, ready.statusCode());
      assertTrue(ready.body().contains("\"code\":\"not_ready\""), ready.body());
    }
  }

  @Test
  void readyzFollowsTheBackendsHealth() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().startLoading(true));
      magi.start("health:\n  interval: 50ms\n" + Yaml.llama("tiny", llama.url()));

      assertEquals(503, magi.get("/readyz").statusCode(), "a loading llama-server is not ready");
      llama.setLoading(false);
      awaitStatus(magi, 200);
      assertEquals("{\"status\":\"ready\",\"models\":{\"total\":1,\"healthy\":1},\"retrieval\":{\"store\":\"memory\","
          + "\"persistent\":false,\"available\":true,\"warning\":\"" + dev.magi.gateway.rag.Retrieval.IN_MEMORY_WARNING + "\"}}",
          magi.get("/readyz").body());

      Await.result(llama.close());
      awaitStatus(magi, 503);
      assertEquals(200, magi.get("/healthz").statusCode(), "liveness does not depend on backends");
    }
  }

  private static void awaitStatus(GatewayFixture magi, int status) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (magi.get("/readyz").statusCode() != status) {
      assertTrue(System.nanoTime() < deadline, "/readyz did not turn " + status + " within 30 s");
      Thread.sleep(20);
    }
  }
}
