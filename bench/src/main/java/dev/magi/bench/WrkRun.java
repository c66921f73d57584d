package dev.magi.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One round of a rate scenario driven by {@code wrk}, a load generator in C that needs a fraction of
 * what the proxies need per request, so that what is measured is the proxy and not the load side.
 * Sends the same chat request as {@link LoadGen} on {@code --connections} keep-alive connections from
 * one wrk thread: {@code --warmup} seconds unmeasured, then {@code --seconds} measured, while the
 * target's CPU (its whole process tree), its peak RSS, the time the hypervisor stole, and how busy the
 * proxy's core and the load side's core were are read from /proc.
 *
 * <pre>java -cp ... dev.magi.bench.WrkRun --url http://127.0.0.1:8000 --pid PID --connections 64
 *     --model mock-c16-d0 --stream false [--warmup 10] [--seconds 10] [--proxy-core 0] [--load-core 1]</pre>
 * Run it pinned to the load side's core: wrk inherits the pinning. Prints one line of {@code key=value}
 * pairs: {@code rps p50_ms p99_ms failed cpu_us_per_req rss_mb steal_pct proxy_core_pct load_core_pct}.
 * A round whose load core is near 100 % busy while the proxy's is not measured the load side.
 */
public final class WrkRun {

  private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([\\d.]+)");
  private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in ([\\d.]+)(us|ms|s|m)");
  private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|99)%\\s+([\\d.]+)(us|ms|s|m)\\s*$",
      Pattern.MULTILINE);
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
  private static final Pattern SOCKET_ERRORS = Pattern.compile(
      "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

  private WrkRun() {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>(Map.of("--url", "http://127.0.0.1:8000", "--pid", "0",
        "--connections", "64", "--model", "mock-c16-d0", "--stream", "false", "--warmup", "10", "--seconds", "10",
        "--proxy-core", "0", "--load-core", "1"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    Path script = Files.createTempFile("magi-wrk-", ".lua");
    try {
      Files.writeString(script, "wrk.method = \"POST\"\n"
          + "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
          + "wrk.body = '{\"model\":\"" + options.get("--model") + "\",\"stream\":" + options.get("--stream")
          + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello there!\"}],\"max_tokens\":16}'\n");
      String url = options.get("--url") + "/v1/chat/completions";
      String connections = options.get("--connections");
      int warmup = Integer.parseInt(options.get("--warmup"));
      if (warmup > 0) {
        wrk(script, url, connections, warmup);
      }
      long pid = Long.parseLong(options.get("--pid"));
      LoadGen.ProcessMeter meter = new LoadGen.ProcessMeter(pid);
      CpuShare stolen = CpuShare.stolen();
      CpuShare proxyCore = CpuShare.busy(Integer.parseInt(options.get("--proxy-core")));
      CpuShare loadCore = CpuShare.busy(Integer.parseInt(options.get("--load-core")));
      String output = wrk(script, url, connections, Integer.parseInt(options.get("--seconds")));
      double cpu = meter.cpuSeconds();
      System.out.println(report(output, cpu, meter.peakRssMb(), stolen.percent(), proxyCore.percent(),
          loadCore.percent()));
    } finally {
      Files.deleteIfExists(script);
    }
  }

  /** Runs wrk for {@code seconds} with one thread and returns what it printed. */
  private static String wrk(Path script, String url, String connections, int seconds) throws Exception {
    List<String> command = new ArrayList<>(List.of("wrk", "-t1", "-c" + connections, "-d" + seconds + "s",
        "--latency", "--timeout", "10s", "-s", script.toString(), url));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(seconds + 60L, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IllegalStateException("wrk failed: " + new String(output, StandardCharsets.UTF_8));
    }
    return new String(output, StandardCharsets.UTF_8);
  }

  static String report(String output, double cpuSeconds, double rssMb, double stealPercent, double proxyCorePercent,
      double loadCorePercent) {
    double rate = Double.parseDouble(find(RATE, output).group(1));
    long total = Long.parseLong(find(TOTAL, output).group(1));
    double p50 = 0;
    double p99 = 0;
    Matcher percentile = PERCENTILE.matcher(output);
    while (percentile.find()) {
      double ms = millis(percentile.group(2), percentile.group(3));
      if (percentile.group(1).equals("50")) {
        p50 = ms;
      } else {
        p99 = ms;
      }
    }
    long failed = 0;
    Matcher non2xx = NON_2XX.matcher(output);
    if (non2xx.find()) {
      failed += Long.parseLong(non2xx.group(1));
    }
    Matcher errors = SOCKET_ERRORS.matcher(output);
    if (errors.find()) {
      for (int g = 1; g <= 4; g++) {
        failed += Long.parseLong(errors.group(g));
      }
    }
    return String.format(Locale.ROOT, "rps=%.1f p50_ms=%.3f p99_ms=%.3f failed=%d cpu_us_per_req=%.2f rss_mb=%.1f "
        + "steal_pct=%.1f proxy_core_pct=%.1f load_core_pct=%.1f", rate, p50, p99, failed,
        total == 0 ? 0 : cpuSeconds * 1e6 / total, rssMb, stealPercent, proxyCorePercent, loadCorePercent);
  }

  private static Matcher find(Pattern pattern, String output) {
    Matcher m = pattern.matcher(output);
    if (!m.find()) {
      throw new IllegalStateException("unexpected wrk output (no " + pattern + "):\n" + output);
    }
    return m;
  }

  private static double millis(String amount, String unit) {
    double value = Double.parseDouble(amount);
    return switch (unit) {
      case "us" -> value / 1000;
      case "s" -> value * 1000;
      case "m" -> value * 60_000;
      default -> value;
    };
  }
}
