package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CommandLineTest {

  private record Outcome(int code, String out, String err) {
  }

  private static Outcome run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(List.of(args), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void helpPrintsUsageAndStartsNothing() {
    for (String help : List.of("--help", "-h", "help")) {
      Outcome outcome = run(help);
      assertEquals(0, outcome.code());
      assertTrue(outcome.out().startsWith("usage: magi <command>"), outcome.out());
    }
    Outcome serveHelp = run("serve", "--port", "1", "--help");
    assertEquals(0, serveHelp.code());
    assertTrue(serveHelp.out().startsWith("usage: magi serve [--config PATH]"), serveHelp.out());
    assertTrue(serveHelp.out().contains("--log-level"));
  }

  @Test
  void versionPrintsTheBuildsVersion() {
    Outcome outcome = run("version");
    assertEquals(0, outcome.code());
    assertTrue(outcome.out().matches("magi \\d+\\.\\d+\\.\\d+.*\\n"), outcome.out());
  }

  @Test
  void unknownOptionsAndStrayArgumentsExitWith2NamingThem() {
    assertEquals(new Outcome(2, "", "magi: unknown option '--confg' (see 'magi --help')\n"),
        run("serve", "--port", "9001", "--confg", "x.yaml"));
    assertEquals(new Outcome(2, "", "magi: unexpected argument 'x.yaml' (see 'magi --help')\n"),
        run("serve", "x.yaml"));
    assertEquals(new Outcome(2, "", "magi: --port needs a value (see 'magi --help')\n"), run("serve", "--port"));
    assertEquals(new Outcome(2, "", "magi: --port is given twice (see 'magi --help')\n"),
        run("serve", "--port", "1", "--port=2"));
    assertEquals(new Outcome(2, "", "magi: --log-level must be one of error, warn, info, debug, got 'loud' "
        + "(see 'magi --help')\n"), run("serve", "--log-level", "loud"));
    assertEquals(new Outcome(2, "", "magi: unknown option '--verbose' (see 'magi --help')\n"), run("--verbose"));
  }

  @Test
  void optionsWinOverTheEnvironment() {
    CommandLine line = CommandLine.parse(List.of("serve", "--host", "0.0.0.0", "--port=9001", "--config", "m.yaml",
        "--log-level", "debug"));
    assertEquals(Optional.of("debug"), line.logLevel());
    Map<String, String> env = line.environment(Map.of("MAGI_PORT", "8000", "MAGI_CONFIG", "other.yaml", "X", "y"));
    assertEquals(Map.of("MAGI_PORT", "9001", "MAGI_HOST", "0.0.0.0", "MAGI_CONFIG", "m.yaml", "X", "y"), env);
    assertThrows(CommandLine.UsageException.class, () -> CommandLine.parse(List.of("version", "now")));
  }
}
