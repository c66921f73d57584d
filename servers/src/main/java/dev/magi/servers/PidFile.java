package dev.magi.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The process ids of the children Magi has running, one per line, rewritten on every change, so a
 * Magi that died without cleaning up leaves a list of what to look for. Thread-safe; blocking.
 */
final class PidFile {

  private final Path file;
  private final Set<Long> pids = new LinkedHashSet<>();

  PidFile(Path file) {
    this.file = file;
  }

  synchronized void add(long pid) {
    pids.add(pid);
    write();
  }

  synchronized void remove(long pid) {
    if (pids.remove(pid)) {
      write();
    }
  }

  /** The pids listed in {@code file}; empty when there is no file or it cannot be read. */
  static List<Long> read(Path file) {
    List<Long> result = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file)) {
        try {
          result.add(Long.parseLong(line.trim()));
        } catch (NumberFormatException ignored) {
          // a damaged line names no process
        }
      }
    } catch (IOException ignored) {
      // no file: nothing was left behind
    }
    return result;
  }

  private void write() {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      StringBuilder text = new StringBuilder();
      pids.forEach(pid -> text.append(pid).append('\n'));
      Files.writeString(temp, text);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      java.util.logging.Logger.getLogger(PidFile.class.getName())
          .warning(() -> "cannot write " + file + ": " + e.getMessage());
    }
  }
}
