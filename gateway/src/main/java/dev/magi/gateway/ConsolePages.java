package dev.magi.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The operator's console: the static pages (HTML, CSS, ES modules) under {@code console/} beside this
 * class, read once from the jar and served from memory at {@code /ui/}. Every link and API call in them is
 * relative, so the console works under any base path a reverse proxy puts Magi behind.
 *
 * <p>The pages hold no data: what they show comes from the admin API, called with the token the operator
 * types into the login form. Each answer carries a strict Content-Security-Policy (scripts, styles and
 * requests to this origin only; no framing), and an ETag for revalidation, so an upgraded Magi's pages are
 * fetched again at once.
 */
final class ConsolePages {

  /** Where the console is served. */
  static final String PREFIX = "/ui/";
  private static final String RESOURCES = "console/";
  private static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  /** A file of the console: its bytes, its media type and its entity tag. */
  private record Page(Buffer body, String contentType, String etag) {
  }

  private final Map<String, Page> pages;

  private ConsolePages(Map<String, Page> pages) {
    this.pages = Map.copyOf(pages);
  }

  /**
   * Reads every file of the console from the class path (blocking: call it off the event loops).
   *
   * @throws UncheckedIOException when they cannot be read
   */
  static ConsolePages load() {
    URL index = ConsolePages.class.getResource(RESOURCES + "index.html");
    if (index == null) {
      throw new IllegalStateException("the console's files are missing from the class path");
    }
    Map<String, Page> pages = new LinkedHashMap<>();
    try {
      if (index.getProtocol().equals("jar")) {
        JarURLConnection connection = (JarURLConnection) index.openConnection();
        connection.setUseCaches(false);
        String prefix = connection.getEntryName().substring(0, connection.getEntryName().length() - "index.html".length());
        try (JarFile jar = connection.getJarFile()) {
          for (JarEntry entry : java.util.Collections.list(jar.entries())) {
            if (!entry.isDirectory() && entry.getName().startsWith(prefix)) {
              try (InputStream in = jar.getInputStream(entry)) {
                add(pages, entry.getName().substring(prefix.length()), in.readAllBytes());
              }
            }
          }
        }
      } else {
        Path root = Path.of(index.toURI()).getParent();
        try (Stream<Path> files = Files.walk(root)) {
          for (Path file : files.filter(Files::isRegularFile).toList()) {
            add(pages, root.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the console's files", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return new ConsolePages(pages);
  }

  private static void add(Map<String, Page> pages, String name, byte[] bytes) {
    pages.put(name, new Page(Buffer.buffer(bytes), contentType(name), etag(bytes)));
  }

  /** The files served, by path under {@link #PREFIX}. */
  java.util.Set<String> names() {
    return pages.keySet();
  }

  /**
   * {@code GET /ui/...}: a file of the console ({@code index.html} for the directory itself), or 404;
   * {@code GET /ui} is sent to {@code ui/}, relative, so that a base path before it is kept.
   */
  void serve(RoutingContext ctx) {
    String path = ctx.request().path();
    if (!path.startsWith(PREFIX)) {
      secure(ctx.response());
      ctx.response().setStatusCode(301).putHeader("Location", "ui/").end();
      return;
    }
    String name = path.length() <= PREFIX.length() ? "index.html" : path.substring(PREFIX.length());
    Page page = pages.get(name);
    if (page == null) {
      ctx.next();
      return;
    }
    HttpServerResponse response = ctx.response();
    secure(response);
    response.putHeader("ETag", page.etag()).putHeader("Cache-Control", "no-cache");
    if (page.etag().equals(ctx.request().getHeader("If-None-Match"))) {
      response.setStatusCode(304).end();
      return;
    }
    response.putHeader("Content-Type", page.contentType()).end(page.body());
  }

  private static void secure(HttpServerResponse response) {
    response.putHeader("Content-Security-Policy", POLICY).putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY").putHeader("Referrer-Policy", "no-referrer");
  }

  private static String contentType(String name) {
    String extension = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    return switch (extension) {
      case "html" -> "text/html; charset=utf-8";
      case "css" -> "text/css; charset=utf-8";
      case "js", "mjs" -> "text/javascript; charset=utf-8";
      case "svg" -> "image/svg+xml";
      case "png" -> "image/png";
      case "ico" -> "image/x-icon";
      case "json" -> "application/json";
      default -> "application/octet-stream";
    };
  }

  private static String etag(byte[] bytes) {
    return "\"" + HexFormat.of().formatHex(ApiKeys.sha256(bytes), 0, 12) + "\"";
  }
}
