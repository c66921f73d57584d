package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

  @Test
  void invalidConfigurationExitsWithCode2AndTheFieldPath(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("magi.yaml");
    Files.writeString(file, "server:\n  port: -5\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code = Main.run(List.of("serve", "--config", file.toString()), Map.of(), new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertEquals(2, code);
    assertEquals("magi: invalid configuration: server.port: must be between 0 and 65535, got -5\n",
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void unknownCommandExitsWithCode2() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code = Main.run(List.of("frobnicate"), Map.of(), System.out, new PrintStream(err, true, StandardCharsets.UTF_8));

    assertEquals(2, code);
    assertEquals("magi: unknown command 'frobnicate' (see 'magi --help')\n", err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void portAlreadyTakenExitsWithCode1() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();

      int code = Main.run(List.of("serve"), Map.of("MAGI_PORT", String.valueOf(taken.getLocalPort()),
          "MAGI_CONFIG", ""), System.out, new PrintStream(err, true, StandardCharsets.UTF_8));

      assertEquals(1, code);
      assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("magi: cannot start on 127.0.0.1:"),
          err.toString(StandardCharsets.UTF_8));
    }
  }
}
