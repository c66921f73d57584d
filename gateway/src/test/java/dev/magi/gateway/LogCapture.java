package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The messages one logger publishes while a test listens; {@link #close()} stops listening. */
final class LogCapture implements AutoCloseable {

  private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
  private final Logger logger;
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord record) {
      messages.add(record.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };

  /** Starts listening to the logger named {@code name}. */
  LogCapture(String name) {
    logger = Logger.getLogger(name);
    logger.addHandler(handler);
  }

  /**
   * The next message, waiting for it up to {@code seconds}.
   *
   * @throws AssertionError when none comes in time, naming {@code what} was expected
   */
  String next(long seconds, String what) throws InterruptedException {
    String message = messages.poll(seconds, TimeUnit.SECONDS);
    assertNotNull(message, "no " + what + " within " + seconds + " s");
    return message;
  }

  /** The next message if one is here already, else null. */
  String poll() {
    return messages.poll();
  }

  @Override
  public void close() {
    logger.removeHandler(handler);
  }
}
