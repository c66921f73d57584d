package dev.magi.bench;

import dev.magi.gateway.DescriptorTable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A slow-loris attack on loopback, bounded in count and time, and what a well-behaved client sees
 * meanwhile. Opens {@code --connections} connections that each send a request's headers and one byte
 * of a 100-byte body (the issue's {@code POST ... Content-Length: 100\r\n\r\n{}), then nothing; while
 * they are held, times {@code GET /healthz} and one non-streaming chat request on fresh connections
 * once a second; then waits until the server has closed every attacking connection, and reports when
 * each was closed, measured from the moment its bytes were sent, against {@code --deadline} (the
 * server's body timeout).
 *
 * <pre>java -cp ... dev.magi.bench.SlowLoris --url http://127.0.0.1:8000 --connections 15000 --deadline 30
 *     --model mock-c16-d0 --pid MAGI_PID [--rate CONNECTIONS_PER_SECOND]</pre>
 * Without {@code --rate} the connections are opened as fast as one thread can. {@code --warmup SECONDS}
 * (default 10) first sends the server ordinary traffic, as the proxy benchmarks warm theirs up, so that
 * what is measured is a gateway in service and not its JIT compiler: connections like the attack's that
 * the client closes, chat requests, and requests for an unknown path answered 404 on
 * {@code Connection: close} (an error answer on a connection the server closes, which a gateway in
 * service sends all the time). A gateway whose first server-side closes ever are the attack's spends
 * close to half of its core compiling them during the burst; {@code --warmup 0} measures that.
 * {@code --dump FILE} writes when each attacking connection was sent and closed, one line each.
 * Prints one line of {@code key=value} pairs.
 */
public final class SlowLoris {

  private SlowLoris() {
  }

  public static void main(String[] args) throws Exception {
    DescriptorTable.reserve(DescriptorTable.DEFAULT_RESERVE);
    URI url = URI.create(arg(args, "--url", "http://127.0.0.1:8000"));
    int count = Integer.parseInt(arg(args, "--connections", "15000"));
    double deadline = Double.parseDouble(arg(args, "--deadline", "30"));
    String model = arg(args, "--model", "mock-c16-d0");
    long pid = Long.parseLong(arg(args, "--pid", "0"));
    double rate = Double.parseDouble(arg(args, "--rate", "0"));
    LoadGen.ProcessMeter meter = new LoadGen.ProcessMeter(pid);

    byte[] attack = ("POST /v1/chat/completions HTTP/1.1\r\nHost: " + url.getAuthority() + "\r\nContent-Type: "
        + "application/json\r\nContent-Length: 100\r\n\r\n{").getBytes(StandardCharsets.US_ASCII);
    warmUp(url, attack, model, Double.parseDouble(arg(args, "--warmup", "10")));
    Selector selector = Selector.open();
    long[] sentAt = new long[count];
    long[] closedAt = new long[count];
    List<SocketChannel> channels = new ArrayList<>(count);
    long openStart = System.nanoTime();
    int refused = 0;
    for (int i = 0; i < count; i++) {
      if (rate > 0) {
        long due = openStart + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
      try {
        SocketChannel channel = SocketChannel.open(new InetSocketAddress(url.getHost(), url.getPort()));
        channel.write(ByteBuffer.wrap(attack));
        sentAt[i] = System.nanoTime();
        channel.configureBlocking(false);
        channel.register(selector, SelectionKey.OP_READ, i);
        channels.add(channel);
      } catch (IOException e) {
        refused++;
        sentAt[i] = -1;
      }
    }
    double openSeconds = (System.nanoTime() - openStart) / 1e9;

    // The well-behaved client: a fresh connection for each request, once a second, while attackers are held.
    List<Double> healthMs = new ArrayList<>();
    List<Double> chatMs = new ArrayList<>();
    int[] failures = {0};
    Thread probe = new Thread(() -> {
      String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
      String health = "GET /healthz HTTP/1.1\r\nHost: " + url.getAuthority() + "\r\nConnection: close\r\n\r\n";
      String chat = "POST /v1/chat/completions HTTP/1.1\r\nHost: " + url.getAuthority() + "\r\nConnection: close\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
      while (!Thread.currentThread().isInterrupted()) {
        healthMs.add(time(url, health, failures));
        chatMs.add(time(url, chat, failures));
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "well-behaved-client");
    probe.start();

    long until = System.nanoTime() + (long) ((deadline + 30) * 1e9);
    int open = channels.size();
    ByteBuffer buffer = ByteBuffer.allocate(4096);
    double peakRss = 0;
    long lastRssSample = 0;
    while (open > 0 && System.nanoTime() < until) {
      selector.select(200);
      for (SelectionKey key : selector.selectedKeys()) {
        SocketChannel channel = (SocketChannel) key.channel();
        int index = (Integer) key.attachment();
        buffer.clear();
        int read;
        try {
          read = channel.read(buffer);
        } catch (IOException reset) {
          read = -1;
        }
        if (read < 0) {
          closedAt[index] = System.nanoTime();
          key.cancel();
          channel.close();
          open--;
        }
      }
      selector.selectedKeys().clear();
      // Reading the process tree walks /proc: at every turn of this loop it made the loop, not the
      // server, the slow part of noticing thousands of closes.
      if (System.nanoTime() - lastRssSample > 250_000_000L) {
        lastRssSample = System.nanoTime();
        peakRss = Math.max(peakRss, meter.peakRssMb());
      }
    }
    peakRss = Math.max(peakRss, meter.peakRssMb());
    probe.interrupt();
    probe.join();
    for (SocketChannel channel : channels) {
      channel.close();
    }

    double[] lateness = new double[count - refused - open];
    int n = 0;
    for (int i = 0; i < count; i++) {
      if (sentAt[i] > 0 && closedAt[i] > 0) {
        lateness[n++] = (closedAt[i] - sentAt[i]) / 1e9 - deadline;
      }
    }
    String dump = arg(args, "--dump", "");
    if (!dump.isEmpty()) {
      try (java.io.PrintWriter out = new java.io.PrintWriter(dump, StandardCharsets.US_ASCII)) {
        out.println("# seconds from the first attacking connection: sent closed (closed 0: never)");
        for (int i = 0; i < count; i++) {
          out.printf("%.3f %.3f%n", (sentAt[i] - openStart) / 1e9, closedAt[i] == 0 ? 0 : (closedAt[i] - openStart) / 1e9);
        }
      }
    }
    Arrays.sort(lateness, 0, n);
    System.out.printf("connections=%d refused=%d open_s=%.1f still_open=%d closed=%d close_minus_deadline_s: "
        + "min=%.2f p50=%.2f p99=%.2f max=%.2f healthz_ms: p50=%.1f max=%.1f chat_ms: p50=%.1f max=%.1f probes=%d "
        + "probe_failures=%d rss_peak_mb=%.0f%n", count, refused, openSeconds, open, n,
        n == 0 ? 0 : lateness[0], pct(lateness, n, 0.5), pct(lateness, n, 0.99), n == 0 ? 0 : lateness[n - 1],
        pct(healthMs, 0.5), max(healthMs), pct(chatMs, 0.5), max(chatMs), healthMs.size(), failures[0], peakRss);
  }

  /**
   * Runs the code the attack will run, for {@code seconds}, so that the server's JIT has compiled it
   * before anything is measured (on a cold JVM, half the CPU of the first burst went to the compilers):
   * batches of 500 attacking connections, closed by this side after their bytes are in, and a
   * well-behaved request after each batch. Then waits a second for compilations to finish.
   */
  private static void warmUp(URI url, byte[] attack, String model, double seconds) throws Exception {
    if (seconds <= 0) {
      return;
    }
    String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    String chat = "POST /v1/chat/completions HTTP/1.1\r\nHost: " + url.getAuthority() + "\r\nConnection: close\r\n"
        + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    String unknown = "GET /v1/nothing-here HTTP/1.1\r\nHost: " + url.getAuthority() + "\r\nConnection: close\r\n\r\n";
    int[] ignored = {0};
    long until = System.nanoTime() + (long) (seconds * 1e9);
    while (System.nanoTime() < until) {
      List<SocketChannel> batch = new ArrayList<>(500);
      for (int i = 0; i < 500; i++) {
        SocketChannel channel = SocketChannel.open(new InetSocketAddress(url.getHost(), url.getPort()));
        channel.write(ByteBuffer.wrap(attack));
        batch.add(channel);
      }
      time(url, chat, ignored);
      for (int i = 0; i < 50; i++) {
        time(url, unknown, ignored);
      }
      for (SocketChannel channel : batch) {
        channel.close();
      }
    }
    Thread.sleep(1000);
  }

  /** Sends {@code request} on a new connection and reads the answer to its end; counts anything but a 200 as failed. */
  private static double time(URI url, String request, int[] failures) {
    long start = System.nanoTime();

    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5000);
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      byte[] answer = socket.getInputStream().readAllBytes();
      if (!new String(answer, 0, Math.min(12, answer.length), StandardCharsets.US_ASCII).equals("HTTP/1.1 200")) {
        failures[0]++;
      }
    } catch (IOException e) {
      failures[0]++;
    }
    return (System.nanoTime() - start) / 1e6;
  }

  private static double pct(double[] sorted, int n, double q) {
    return n == 0 ? 0 : sorted[Math.min(n - 1, (int) Math.floor(q * n))];
  }

  private static double pct(List<Double> values, double q) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return pct(sorted, sorted.length, q);
  }

  private static double max(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
  }

  private static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
