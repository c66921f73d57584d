package dev.magi.bench;

import dev.magi.testkit.FakeLlamaExecutable;
import dev.magi.testkit.GgufWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two models that cannot both fit the memory budget, asked for alternately: how often Magi swaps
 * them, and how long the slowest request waits.
 *
 * <pre>java -cp ... dev.magi.bench.SwapBench --prepare DIR BEHAVIOUR
 *     (writes DIR/models/model-a.gguf, model-b.gguf and the fake llama-server DIR/bin/llama-server-1)
 * java -cp ... dev.magi.bench.SwapBench --url URL --log MAGI_LOG [--requests 200] [--concurrency 8]
 *     [--rate PER_SECOND]</pre>
 * Request i asks for model-a when i is even and model-b when it is odd, non-streaming, 4 tokens;
 * {@code --concurrency} requests are in flight at once (a closed loop), or with {@code --rate} they are
 * sent at that rate whatever the answers do (an open loop). Swaps are counted from Magi's log ("loading
 * model"), less the first load. Prints one line of {@code key=value} pairs.
 */
public final class SwapBench {

  private SwapBench() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("--prepare")) {
      Path dir = Path.of(args[1]);
      for (String model : new String[] {"model-a", "model-b"}) {
        GgufWriter.chatModel(model, 10).write(dir.resolve("models/" + model + ".gguf"));
      }
      System.out.println(FakeLlamaExecutable.write(dir.resolve("bin"), args[2]));
      return;
    }
    URI url = URI.create(arg(args, "--url", "http://127.0.0.1:8000"));
    Path log = Path.of(arg(args, "--log", "magi.log"));
    int requests = Integer.parseInt(arg(args, "--requests", "200"));
    int concurrency = Integer.parseInt(arg(args, "--concurrency", "8"));
    double rate = Double.parseDouble(arg(args, "--rate", "0"));
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    long loadsBefore = loads(log);
    double[] seconds = new double[requests];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    long start = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(rate > 0 ? requests : concurrency);
    if (rate > 0) {
      // Open loop: request i is sent at i / rate seconds, whatever the others are doing.
      for (int i = 0; i < requests; i++) {
        long due = start + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        int index = i;
        pool.submit(() -> {
          seconds[index] = send(http, url, index, failures);
          return null;
        });
      }
    }
    for (int worker = 0; rate <= 0 && worker < concurrency; worker++) {
      pool.submit(() -> {
        for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
          seconds[i] = send(http, url, i, failures);
        }
        return null;
      });
    }
    pool.shutdown();
    pool.awaitTermination(1, TimeUnit.HOURS);
    double total = (System.nanoTime() - start) / 1e9;
    // Every load after the first is a swap in; the log line is written before each start.
    long swaps = Math.max(0, loads(log) - loadsBefore - 1);
    Arrays.sort(seconds);
    System.out.printf("requests=%d " + (rate > 0 ? "rate=" + rate + "/s" : "concurrency=" + concurrency)
        + " failures=%d swaps=%d wait_s: p50=%.2f p99=%.2f max=%.2f "
        + "total_s=%.1f%n", requests, failures.get(), swaps, seconds[requests / 2],
        seconds[Math.min(requests - 1, (int) (requests * 0.99))], seconds[requests - 1], total);
  }

  /** Sends request {@code i} (model-a when even, model-b when odd) and returns how long it took, in seconds. */
  private static double send(HttpClient http, URI url, int i, AtomicInteger failures) {
    String body = "{\"model\":\"model-" + (i % 2 == 0 ? "a" : "b") + "\",\"max_tokens\":4,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    long sent = System.nanoTime();
    try {
      HttpResponse<String> answer = http.send(HttpRequest.newBuilder(url.resolve("/v1/chat/completions"))
          .timeout(Duration.ofSeconds(180)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() != 200) {
        failures.incrementAndGet();
      }
    } catch (Exception e) {
      failures.incrementAndGet();
    }
    return (System.nanoTime() - sent) / 1e9;
  }

  private static long loads(Path log) throws java.io.IOException {
    if (!Files.exists(log)) {
      return 0;
    }
    try (var lines = Files.lines(log)) {
      return lines.filter(line -> line.contains("loading model ") && line.contains(" on request")).count();
    }
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
