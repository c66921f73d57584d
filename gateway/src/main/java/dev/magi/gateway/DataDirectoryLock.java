package dev.magi.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * An exclusive lock on a data directory ({@code <data>/magi.lock}), taken before Magi touches anything
 * else: a second Magi on the same directory would reap the first one's model servers as strays and
 * start its own copies of the profile. The file holds the holder's process id. The operating system
 * releases the lock when the process ends, however it ends, so a stale file never blocks a start.
 */
final class DataDirectoryLock implements AutoCloseable {

  /** The lock file's name inside the data directory. */
  static final String FILE = "magi.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** The data directory is someone else's. */
  static final class HeldException extends Exception {
    HeldException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Locks {@code dataDir} (creating it), and writes this process's id into the lock file.
   *
   * @throws HeldException naming the holder's process id when another process (or this one) holds it
   * @throws IOException when the directory or the file cannot be made
   */
  static DataDirectoryLock acquire(Path dataDir) throws HeldException, IOException {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      String holder = holder(channel).map(pid -> "process " + pid).orElse("another process");
      channel.close();
      throw new HeldException("data directory " + dataDir.toAbsolutePath() + " is in use by another Magi ("
          + holder + ", " + file.toAbsolutePath() + "); stop it first, or give this one its own models.data");
    }
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
    channel.force(false);
    return new DataDirectoryLock(channel, lock);
  }

  private static Optional<String> holder(FileChannel channel) {
    try {
      ByteBuffer buffer = ByteBuffer.allocate(32);
      channel.read(buffer, 0);
      String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
      return text.matches("\\d{1,10}") ? Optional.of(text) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Releases the lock (the file stays; a later Magi takes it over). */
  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException ignored) {
      // the process is ending or the lock is gone with its channel
    }
  }
}
