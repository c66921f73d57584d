package dev.magi.gateway;

import dev.magi.testkit.FreePorts;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx (Debian's nginx-light) as a reverse proxy in front of a gateway, run as a child process
 * with its own prefix directory, on a leased port; closing it stops it. Its configuration is the
 * ordinary one for an HTTP/1.1 keep-alive upstream, or one of the recipes in {@code docker/proxy/}.
 */
final class NginxFront implements AutoCloseable {

  final int port;
  private final Process process;
  private final Path prefix;

  private NginxFront(int port, Process process, Path prefix) {
    this.port = port;
    this.process = process;
    this.prefix = prefix;
  }

  /** The nginx binary, or null where it is not installed. */
  static String binary() {
    for (String candidate : new String[] {"/usr/sbin/nginx", "/usr/bin/nginx"}) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    return null;
  }

  /** Starts nginx in {@code dir}, proxying everything to {@code 127.0.0.1:upstreamPort}. */
  static NginxFront start(Path dir, int upstreamPort) throws Exception {
    return start(dir, port -> """
        upstream magi { server 127.0.0.1:%1$d; keepalive 8; }
        server {
          listen 127.0.0.1:%2$d;
          location / {
            proxy_pass http://magi;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 60s;
          }
        }
        """.formatted(upstreamPort, port));
  }

  /**
   * Starts nginx in {@code dir} with a recipe of {@code docker/proxy/} as its server: the recipe's own
   * directives, with its hosts made local ({@code magi:8000} becomes Magi's port, any other upstream a
   * closed one) and its {@code listen 80} a leased port.
   */
  static NginxFront recipe(Path dir, String recipe, int magiPort) throws Exception {
    int closed = FreePorts.range(1);
    return start(dir, port -> recipe.replace("server magi:8000;", "server 127.0.0.1:" + magiPort + ";")
        .replace("grafana:3000", "127.0.0.1:" + closed)
        .replace("listen 80;", "listen 127.0.0.1:" + port + ";"));
  }

  /** Starts nginx in {@code dir}, with {@code servers} (given the port to listen on) inside {@code http}. */
  private static NginxFront start(Path dir, java.util.function.IntFunction<String> servers) throws Exception {
    String nginx = binary();
    if (nginx == null) {
      throw new IllegalStateException("nginx is not installed (./run-tests installs nginx-light)");
    }
    int port = FreePorts.range(1);
    Files.createDirectories(dir.resolve("logs"));
    Path config = Files.writeString(dir.resolve("nginx.conf"), """
        worker_processes 1;
        daemon off;
        master_process on;
        pid %1$s/nginx.pid;
        error_log %1$s/logs/error.log warn;
        events { worker_connections 256; }
        http {
          access_log %1$s/logs/access.log;
          client_body_temp_path %1$s/client_body;
          proxy_temp_path %1$s/proxy;
        %2$s
        }
        """.formatted(dir, servers.apply(port)));
    return launch(nginx, dir, config, port);
  }

  /**
   * This nginx stopped (every connection through it cut) and started again, with the same configuration
   * on the same port: a proxy restarting under its clients.
   */
  NginxFront restarted() throws Exception {
    close();
    return launch(binary(), prefix, prefix.resolve("nginx.conf"), port);
  }

  private static NginxFront launch(String nginx, Path dir, Path config, int port) throws Exception {
    Process process = new ProcessBuilder(nginx, "-p", dir.toString(), "-c", config.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("logs/stdout.log")
            .toFile())).start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return new NginxFront(port, process, dir);
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > until) {
          process.destroyForcibly();
          throw new IllegalStateException("nginx did not start: " + Files.readString(dir.resolve("logs/stdout.log"))
              + (Files.exists(dir.resolve("logs/error.log")) ? Files.readString(dir.resolve("logs/error.log")) : ""));
        }
        Thread.sleep(20);
      }
    }
  }

  /** nginx's error log so far. */
  String errorLog() throws IOException {
    Path log = prefix.resolve("logs/error.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Override
  public void close() {
    process.destroy();
    // SIGTERM is nginx's fast shutdown: the master stops its workers, then itself.
    boolean stopped;
    try {
      stopped = process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = false;
    }
    if (!stopped) {
      process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
