package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.FakeLlamaServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proxied routes read their bodies outside the router (the fast lane in {@code ApiVerticle}), so
 * what the router's body handler did for them is checked here on the wire: bodies in pieces, the
 * 100-continue handshake, a POST without a body, and other spellings of a proxied path, which the
 * router still serves.
 */
class ProxiedBodyReadingTest {

  private static final String CHAT = "{\"model\":\"tiny\",\"max_tokens\":3,"
      + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello in pieces\"}]}";
  private static GatewayFixture magi;
  private static FakeLlamaServer llama;

  @BeforeAll
  static void start() {
    magi = new GatewayFixture();
    llama = magi.llama(new FakeLlamaServer.Options());
    magi.start("limits:\n  body_bytes: 64KiB\n" + Yaml.llama("tiny", llama.url()));
  }

  @AfterAll
  static void stop() {
    magi.close();
  }

  @Test
  void aChunkedBodyInSeveralPiecesReachesTheBackendWhole() throws Exception {
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(head("/v1/chat/completions", "Transfer-Encoding: chunked"));
      for (int at = 0; at < CHAT.length(); at += 20) {
        String piece = CHAT.substring(at, Math.min(CHAT.length(), at + 20));
        out.write((Integer.toHexString(piece.length()) + "\r\n" + piece + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.UTF_8));
      out.flush();

      String response = readResponse(socket.getInputStream());
      assertTrue(response.startsWith("HTTP/1.1 200"), response);
      assertTrue(response.contains("\"chat.completion\""), response);
    }
    assertEquals(CHAT, lastBackendBody(), "the backend got the body as sent, whole");
  }

  @Test
  void expectContinueIsAnsweredBeforeTheBodyIsSent() throws Exception {
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      byte[] body = CHAT.getBytes(StandardCharsets.UTF_8);
      out.write(head("/v1/chat/completions", "Content-Length: " + body.length, "Expect: 100-continue"));
      out.flush();

      String interim = readHead(socket.getInputStream());
      assertTrue(interim.startsWith("HTTP/1.1 100 Continue"), interim);
      out.write(body);
      out.flush();
      String response = readResponse(socket.getInputStream());
      assertTrue(response.startsWith("HTTP/1.1 200"), response);
    }
  }

  @Test
  void expectContinueOnHttp10IsRefusedWith417() throws Exception {
    byte[] head = new String(head("/v1/chat/completions", "Content-Length: 10", "Expect: 100-continue"),
        StandardCharsets.UTF_8).replace(" HTTP/1.1\r\n", " HTTP/1.0\r\n").getBytes(StandardCharsets.UTF_8);

    String response = answerToHead(head);

    assertTrue(response.matches("(?s)HTTP/1\\.[01] 417 .*"), response);
    assertTrue(response.contains("\"code\":\"expectation_failed\""), response);
  }

  @Test
  void aPostWithNeitherLengthNorChunksHasAnEmptyBody() throws Exception {
    String response = answerToHead(head("/v1/chat/completions"));

    assertTrue(response.startsWith("HTTP/1.1 400"), response);
    assertTrue(response.contains("The request body is empty"), response);
  }

  @Test
  void aDeclaredLengthOverTheLimitIs413BeforeAnyBodyIsSent() throws Exception {
    String response = answerToHead(head("/v1/embeddings", "Content-Length: 10000000"));

    assertTrue(response.startsWith("HTTP/1.1 413"), response);
    assertTrue(response.contains("\"code\":\"request_too_large\""), response);
  }

  @Test
  void aClientThatLeavesMidBodyIsNotLoggedAsTheGatewaysFailure() throws Exception {
    try (LogCapture errors = new LogCapture(ApiVerticle.class.getName());
        LogCapture access = new LogCapture("dev.magi.access")) {
      try (Socket socket = connect()) {
        socket.getOutputStream().write(head("/v1/chat/completions", "Content-Length: 1000"));
        socket.getOutputStream().write("{\"model\":".getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
      }

      // The access log writes the cut request after the request itself has seen the close.
      while (!access.next(10, "access-log line of the cut request").contains("outcome=cut")) {
        // a line of an earlier request
      }
      assertEquals(null, errors.poll(), "nothing logged as an unexpected failure");
    }
  }

  @Test
  void anotherSpellingOfAProxiedPathIsServedThroughTheRouterAlike() throws Exception {
    int before = llama.requests().size();
    try (Socket socket = connect()) {
      byte[] body = CHAT.getBytes(StandardCharsets.UTF_8);
      socket.getOutputStream().write(head("/v1/./chat/completions", "Content-Length: " + body.length));
      socket.getOutputStream().write(body);
      socket.getOutputStream().flush();

      String response = readResponse(socket.getInputStream());
      assertTrue(response.startsWith("HTTP/1.1 200"), response);
      assertTrue(response.toLowerCase().contains("x-request-id: req_"), response);
    }
    assertEquals(before + 1, llama.requests().size());
  }

  /** Sends a request head alone and reads the answer to it. */
  private static String answerToHead(byte[] head) throws IOException {
    try (Socket socket = connect()) {
      socket.getOutputStream().write(head);
      socket.getOutputStream().flush();
      return readResponse(socket.getInputStream());
    }
  }

  private static Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", magi.gateway().port());
    socket.setSoTimeout(30_000);
    return socket;
  }

  private static byte[] head(String path, String... headers) {
    StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Type: application/json\r\nConnection: close\r\n");
    for (String header : headers) {
      head.append(header).append("\r\n");
    }
    return head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String lastBackendBody() {
    var requests = llama.requests();
    return requests.get(requests.size() - 1).body();
  }

  /** Reads up to the blank line that ends a response head. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /**
   * Reads one response: its head, then as many bytes as its {@code Content-Length} says, or up to the
   * end of the connection (the requests ask for {@code Connection: close}). A 413 comes before the
   * client has sent its body, so the connection is not closed after it.
   */
  private static String readResponse(InputStream in) throws IOException {
    String head = readHead(in);
    java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : in.readAllBytes();
    return head + new String(body, StandardCharsets.UTF_8);
  }
}
