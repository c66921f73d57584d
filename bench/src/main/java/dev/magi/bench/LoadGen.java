package dev.magi.bench;

import dev.magi.gateway.DescriptorTable;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load generator: POSTs chat completions to a target and measures what a client sees.
 *
 * <ul>
 *   <li>{@code --mode closed}: {@code --connections} clients, each sending its next request when the
 *       last one ended, for {@code --seconds} after {@code --warmup} seconds.</li>
 *   <li>{@code --mode open}: opens {@code --streams} streams at {@code --rate} per second and holds them
 *       all until they end. A warmup first runs a closed loop of 64 connections on
 *       {@code --warmup-model} for {@code --warmup} seconds; {@code held_peak} reports how many streams
 *       were open at once. {@code --warmup-streams N} then opens N short streams of
 *       {@code --warmup-stream-model} (default {@code mock-c2-d500}), each on a new connection, so that
 *       opening connections is compiled code before the measured ramp starts.</li>
 * </ul>
 * {@code --model mock-c16-d20 --stream true} picks what the mock backend sends. {@code --pid} names the
 * proxy process, whose CPU seconds (its process tree) and peak RSS are measured from /proc.
 * {@code --mock URL} names the mock backend: after the warmup, the load generator and the mock both
 * collect their garbage, so that a pause of the harness does not land in the measurement.
 * {@code --timeline FILE} writes, for every measured first event, when its request was sent and how
 * long the event took, which shows whether a tail is spread out or comes from one stall.
 * Prints one line of {@code key=value} pairs: rps, p50/p99 latency and time to first event in ms, the
 * worst gap between chunks, failures by kind, cpu_s, cpu_us_per_req, rss_mb.
 */
public final class LoadGen {

  private final Map<String, String> options;
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
  private final HttpClient client;
  private volatile Buffer body;
  private final boolean stream;
  private final List<Long> latencies = new ArrayList<>();
  private final List<Long> firstEvents = new ArrayList<>();
  /** When each measured first event's request was sent, in nanoseconds since the measurement began. */
  private final List<Long> firstEventSendTimes = new ArrayList<>();
  private volatile long measureStart;
  private final Map<String, AtomicLong> failures = new HashMap<>();
  private long worstGapNanos;
  private long completed;
  private int held;
  private int heldPeak;
  private int loops;
  private volatile boolean measuring;
  private volatile boolean stopping;

  private LoadGen(Map<String, String> options) {
    this.options = options;
    int connections = Math.max(Integer.parseInt(options.get("--connections")),
        Integer.parseInt(options.get("--streams")));
    this.client = vertx.createHttpClient(clientOptions(), new PoolOptions().setHttp1MaxSize(connections));
    this.stream = Boolean.parseBoolean(options.get("--stream"));
    this.body = requestBody(options.get("--model"));
    for (String kind : List.of("connect", "status", "dropped", "incomplete")) {
      failures.put(kind, new AtomicLong());
    }
  }

  private static HttpClientOptions clientOptions() {
    return new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true).setConnectTimeout(10_000)
        .setIdleTimeout(120);
  }

  private Buffer requestBody(String model) {
    return Buffer.buffer("{\"model\":\"" + model + "\",\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello there!\"}],\"max_tokens\":16}");
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>(Map.of("--url", "http://127.0.0.1:8000", "--mode", "closed",
        "--connections", "64", "--seconds", "10", "--warmup", "3", "--model", "mock-c16-d0", "--stream", "false",
        "--streams", "0", "--rate", "500", "--pid", "0"));
    options.put("--warmup-model", "");
    options.put("--mock", "");
    options.put("--timeline", "");
    options.put("--warmup-streams", "0");
    options.put("--warmup-stream-model", "mock-c2-d500");
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    // A fresh LoadGen opens up to 8,000 connections a round: without this, each doubling of its
    // descriptor table paused it for 5-17 ms at 2, 4 and 8 s into the ramp, whatever the target.
    DescriptorTable.reserve(DescriptorTable.DEFAULT_RESERVE);
    LoadGen gen = new LoadGen(options);
    String result = options.get("--mode").equals("open") ? gen.open() : gen.closed();
    System.out.println(result);
    gen.vertx.close();
  }

  private String closed() throws Exception {
    int connections = Integer.parseInt(options.get("--connections"));
    for (int i = 0; i < connections; i++) {
      vertx.runOnContext(v -> {
        loops++;
        next();
      });
    }
    Thread.sleep(Long.parseLong(options.get("--warmup")) * 1000);
    collectHarnessGarbage();
    long pid = Long.parseLong(options.get("--pid"));
    ProcessMeter meter = new ProcessMeter(pid);
    CpuShare stolen = CpuShare.stolen();
    runOnLoop(() -> {
      measureStart = System.nanoTime();
      measuring = true;
      latencies.clear();
      firstEvents.clear();
      firstEventSendTimes.clear();
      completed = 0;
      worstGapNanos = 0;
      failures.values().forEach(f -> f.set(0));
    });
    long started = System.nanoTime();
    Thread.sleep(Long.parseLong(options.get("--seconds")) * 1000);
    runOnLoop(() -> measuring = false);
    double seconds = (System.nanoTime() - started) / 1e9;
    double cpu = meter.cpuSeconds();
    stopping = true;
    return report(seconds, cpu, meter.peakRssMb(), stolen.percent());
  }

  /**
   * Sends {@code model} requests from 64 connections in a closed loop for {@code --warmup} seconds,
   * then waits until the last of them has ended. Nothing is measured.
   */
  private void warmUp(String model) throws Exception {
    long seconds = Long.parseLong(options.get("--warmup"));
    if (seconds == 0) {
      return;
    }
    Buffer measured = body;
    body = requestBody(model);
    runOnLoop(() -> {
      for (int i = 0; i < 64; i++) {
        loops++;
        next();
      }
    });
    Thread.sleep(seconds * 1000);
    stopping = true;
    while (true) {
      int[] running = new int[1];
      runOnLoop(() -> running[0] = loops);
      if (running[0] == 0) {
        break;
      }
      Thread.sleep(20);
    }
    stopping = false;
    body = measured;
  }

  /** A full collection here and in the mock backend (when {@code --mock} names it). */
  private void collectHarnessGarbage() throws Exception {
    String mock = options.get("--mock");
    if (!mock.isEmpty()) {
      client.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(mock + "/bench/gc"))
          .compose(request -> request.send().compose(HttpClientResponse::body))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    System.gc();
  }

  private String open() throws Exception {
    String warmupModel = options.get("--warmup-model");
    warmUp(warmupModel.isEmpty() ? options.get("--model") : warmupModel);
    warmUpConnections();
    collectHarnessGarbage();
    runOnLoop(() -> heldPeak = 0);
    int streams = Integer.parseInt(options.get("--streams"));
    double rate = Double.parseDouble(options.get("--rate"));
    long pid = Long.parseLong(options.get("--pid"));
    ProcessMeter meter = new ProcessMeter(pid);
    CpuShare stolen = CpuShare.stolen();
    long started = System.nanoTime();
    measureStart = started;
    measuring = true;
    openStreams(client, body, streams, rate);
    double seconds = (System.nanoTime() - started) / 1e9;
    return report(seconds, meter.cpuSeconds(), meter.peakRssMb(), stolen.percent());
  }

  /**
   * Opens {@code --warmup-streams} short streams of {@code --warmup-stream-model} at {@code --rate}, each
   * on a new connection, and waits until they have ended; nothing is measured. The closed-loop warmup
   * reuses 64 connections, so without this step the code that accepts and opens connections (in the
   * target and in this harness) is compiled during the measured ramp, and its first seconds dominate
   * the time-to-first-event tail.
   */
  private void warmUpConnections() throws Exception {
    int streams = Integer.parseInt(options.get("--warmup-streams"));
    if (streams == 0) {
      return;
    }
    HttpClient fresh = vertx.createHttpClient(clientOptions(), new PoolOptions().setHttp1MaxSize(streams));
    openStreams(fresh, requestBody(options.get("--warmup-stream-model")), streams,
        Double.parseDouble(options.get("--rate")));
    fresh.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Opens {@code streams} streams at {@code rate} per second through {@code via}; returns when all ended. */
  private void openStreams(HttpClient via, Buffer payload, int streams, double rate) throws Exception {
    CountDownLatch done = new CountDownLatch(streams);
    long started = System.nanoTime();
    for (int i = 0; i < streams; i++) {
      long due = started + (long) (i / rate * 1e9);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      vertx.runOnContext(v -> {
        heldPeak = Math.max(heldPeak, ++held);
        send(via, payload, () -> {
          held--;
          done.countDown();
        });
      });
    }
    done.await(30, TimeUnit.MINUTES);
  }

  /** One turn of a closed loop: the next request, or the loop's end once stopping. */
  private void next() {
    if (stopping) {
      loops--;
    } else {
      send(client, body, this::next);
    }
  }

  /** One request; {@code then} runs (on the event loop) when it has ended, however it ended. */
  private void send(HttpClient via, Buffer payload, Runnable then) {
    long sent = System.nanoTime();
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(options.get("--url")
        + "/v1/chat/completions").putHeader("Content-Type", "application/json");
    via.request(request)
        .compose(r -> r.send(payload))
        .onSuccess(response -> read(response, sent, then))
        .onFailure(failure -> {
          count("connect");
          then.run();
        });
  }

  private void read(HttpClientResponse response, long sent, Runnable then) {
    if (response.statusCode() != 200) {
      count("status");
      response.end().onComplete(v -> then.run());
      return;
    }
    long[] last = {0};
    boolean[] done = {false};
    // The last bytes seen, so that a [DONE] split across two pieces is still found.
    String[] tail = {""};
    response.handler(piece -> {
      long now = System.nanoTime();
      if (last[0] == 0) {
        if (measuring) {
          firstEvents.add(now - sent);
          firstEventSendTimes.add(sent - measureStart);
        }
      } else if (measuring) {
        worstGapNanos = Math.max(worstGapNanos, now - last[0]);
      }
      last[0] = now;
      if (stream) {
        String end = piece.getString(Math.max(0, piece.length() - 32), piece.length());
        String window = tail[0] + end;
        done[0] = window.contains("[DONE]");
        tail[0] = window.substring(Math.max(0, window.length() - 16));
      }
    });
    response.exceptionHandler(failure -> {
      count("dropped");
      then.run();
    });
    response.endHandler(v -> {
      if (stream && !done[0]) {
        count("incomplete");
      } else if (measuring) {
        latencies.add(System.nanoTime() - sent);
        completed++;
      }
      then.run();
    });
  }

  private void count(String kind) {
    if (measuring) {
      failures.get(kind).incrementAndGet();
    }
  }

  private void runOnLoop(Runnable action) throws InterruptedException {
    CountDownLatch ran = new CountDownLatch(1);
    vertx.runOnContext(v -> {
      action.run();
      ran.countDown();
    });
    ran.await();
  }

  private String report(double seconds, double cpu, double rssMb, double stealPercent) throws Exception {
    String timeline = options.get("--timeline");
    if (!timeline.isEmpty()) {
      writeTimeline(Path.of(timeline));
    }
    String[] line = new String[1];
    runOnLoop(() -> {
      long[] lat = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
      long[] first = firstEvents.stream().mapToLong(Long::longValue).sorted().toArray();
      long failed = failures.values().stream().mapToLong(AtomicLong::get).sum();
      line[0] = String.format(java.util.Locale.ROOT,
          "requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f ttfe_p50_ms=%.2f ttfe_p99_ms=%.2f worst_gap_ms=%.1f "
              + "failed=%d connect=%d status=%d dropped=%d incomplete=%d cpu_s=%.2f cpu_us_per_req=%.1f rss_mb=%.0f "
              + "held_peak=%d steal_pct=%.1f",
          completed, completed / seconds, pct(lat, 0.5), pct(lat, 0.99), pct(first, 0.5), pct(first, 0.99),
          worstGapNanos / 1e6, failed, failures.get("connect").get(), failures.get("status").get(),
          failures.get("dropped").get(), failures.get("incomplete").get(), cpu,
          completed == 0 ? 0 : cpu * 1e6 / completed, rssMb, heldPeak, stealPercent);
    });
    return line[0];
  }

  /** One line per measured first event: when its request was sent and how long the event took, in ms. */
  private void writeTimeline(Path file) throws Exception {
    StringBuilder lines = new StringBuilder("sent_ms ttfe_ms\n");
    runOnLoop(() -> {
      for (int i = 0; i < firstEvents.size(); i++) {
        lines.append(String.format(java.util.Locale.ROOT, "%.3f %.3f%n", firstEventSendTimes.get(i) / 1e6,
            firstEvents.get(i) / 1e6));
      }
    });
    Files.writeString(file, lines);
  }

  private static double pct(long[] sorted, double q) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * q))] / 1e6;
  }

  /** CPU seconds and peak resident memory of a process and its descendants, read from /proc. */
  static final class ProcessMeter {
    private final long pid;
    private final double startCpu;
    private volatile double peakRss;
    private final Thread sampler;

    ProcessMeter(long pid) {
      this.pid = pid;
      this.startCpu = pid > 0 ? cpu(tree(pid)) : 0;
      this.sampler = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          peakRss = Math.max(peakRss, rss(tree(pid)));
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "rss-sampler");
      sampler.setDaemon(true);
      if (pid > 0) {
        sampler.start();
      }
    }

    double cpuSeconds() {
      return pid > 0 ? cpu(tree(pid)) - startCpu : 0;
    }

    double peakRssMb() {
      if (pid > 0) {
        peakRss = Math.max(peakRss, rss(tree(pid)));
      }
      return peakRss / 1024.0;
    }

    static List<Long> tree(long root) {
      List<Long> pids = new ArrayList<>(List.of(root));
      ProcessHandle.of(root).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
      return pids;
    }

    /** utime + stime (+ waited-for children), in seconds. */
    static double cpu(List<Long> pids) {
      double total = 0;
      for (long p : pids) {
        try {
          String stat = Files.readString(Path.of("/proc", Long.toString(p), "stat"));
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          total += (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
        } catch (IOException | RuntimeException ignored) {
          // the process is gone
        }
      }
      return total;
    }

    /** VmRSS in KiB, summed. */
    static double rss(List<Long> pids) {
      double total = 0;
      for (long p : pids) {
        try {
          for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p), "status"))) {
            if (line.startsWith("VmRSS:")) {
              total += Double.parseDouble(line.replaceAll("[^0-9]", ""));
            }
          }
        } catch (IOException | RuntimeException ignored) {
          // the process is gone
        }
      }
      return total;
    }
  }
}
