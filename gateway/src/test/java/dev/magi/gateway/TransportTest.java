package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.Await;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The native library ships in the jar for the platforms Magi is built for, and it loads. */
class TransportTest {

  @Test
  @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "aarch64"})
  void theGatewayRunsOnNativeEpollOnLinux() {
    Vertx vertx = Vertx.vertx(Gateway.vertxOptions());
    try {
      assertTrue(vertx.isNativeTransportEnabled(),
          () -> "epoll did not load: " + vertx.unavailableNativeTransportCause());
    } finally {
      Await.result(vertx.close());
    }
  }
}
