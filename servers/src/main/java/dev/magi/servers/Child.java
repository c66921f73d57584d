package dev.magi.servers;

import io.vertx.core.Future;
import java.util.List;

/** One running child process, as the supervisor sees it. */
public interface Child {

  /** The operating system's process id. */
  long pid();

  /** Completes with the exit code when the process has ended (for whatever reason). */
  Future<Integer> onExit();

  /** Asks the process to end (SIGTERM). */
  void terminate();

  /** Ends the process at once (SIGKILL). */
  void kill();

  /** The last {@code count} lines it printed on stdout and stderr. */
  List<String> logTail(int count);

  /** The lines it printed after line {@code seq}, at most {@code max} ({@link LogRing#since}). */
  default LogRing.Lines logSince(long seq, int max) {
    return new LogRing.Lines(seq, List.of(), false);
  }
}
