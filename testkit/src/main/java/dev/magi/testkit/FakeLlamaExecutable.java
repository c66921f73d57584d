package dev.magi.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes an executable script that runs {@link FakeLlamaServerMain} in a new JVM, with this JVM's
 * class path: a stand-in for the {@code llama-server} binary, for {@code LLAMA_SERVER_PATH}.
 */
public final class FakeLlamaExecutable {

  private FakeLlamaExecutable() {
  }

  /**
   * Writes {@code dir/llama-server}.
   *
   * @return its path
   */
  public static Path write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path script = dir.resolve("llama-server");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String text = "#!/bin/sh\n"
        + "exec '" + java + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx96m -Xss512k"
        + " -Dvertx.disableDnsResolver=true -cp '" + System.getProperty("java.class.path") + "' "
        + FakeLlamaServerMain.class.getName() + " \"$@\"\n";
    Files.writeString(script, text);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  /**
   * Writes {@code dir/llama-server} and, beside it, {@code dir/llama-server-<n>}, which runs it with
   * {@link FakeLlamaServerMain#BEHAVIOUR_ENV} set to {@code behaviour}.
   *
   * @return the path of the one with the behaviour
   */
  public static Path write(Path dir, String behaviour) throws IOException {
    Path plain = write(dir);
    Path wrapper = Files.createTempFile(dir, "llama-server-", "");
    Files.writeString(wrapper, "#!/bin/sh\n" + FakeLlamaServerMain.BEHAVIOUR_ENV + "='" + behaviour + "' exec '"
        + plain + "' \"$@\"\n");
    Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
    return wrapper;
  }
}
