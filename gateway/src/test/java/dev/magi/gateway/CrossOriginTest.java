package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.testkit.FakeLlamaServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * No web page can drive Magi through a visitor's browser: not the admin API (cross-site posts, DNS
 * rebinding), not the model API unless its origin is allowed; allowed origins get proper CORS.
 * Requests are written raw, as a browser or an attacker's script would send them (Host included).
 */
class CrossOriginTest {

  private static final String CHAT = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

  /** Sends one raw HTTP/1.1 request with {@code Connection: close}; returns everything the server sent. */
  private static String send(GatewayFixture magi, String method, String path, String headers, String body)
      throws Exception {
    try (RawClients raw = new RawClients()) {
      String request = method + " " + path + " HTTP/1.1\r\n" + headers + "Connection: close\r\n"
          + (body == null ? "" : "Content-Length: " + body.length() + "\r\n") + "\r\n" + (body == null ? "" : body);
      RawClients.Connection connection = raw.open(magi.gateway().port(), 1, request).get(0);
      assertTrue(raw.awaitClosed(List.of(connection), 10_000));
      return connection.received.toString();
    }
  }

  private static int status(String response) {
    return Integer.parseInt(response.substring(9, 12));
  }

  @Test
  void withoutATokenTheAdminApiRefusesOtherOriginsRebindingAndFormBodies() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("admin:\n  allowed_hosts: [magi.lan]\n");
      String local = "Host: 127.0.0.1:" + magi.gateway().port() + "\r\n";

      String crossSite = send(magi, "POST", "/api/models/stop", local + "Origin: http://evil.example\r\n"
          + "Content-Type: text/plain\r\n", "x");
      assertEquals(403, status(crossSite), crossSite);
      assertTrue(crossSite.contains("\"code\":\"origin_not_allowed\""), crossSite);

      String rebound = send(magi, "POST", "/api/models/stop", "Host: rebind.evil:8000\r\n", null);
      assertEquals(403, status(rebound), rebound);
      assertTrue(rebound.contains("\"code\":\"admin_host_not_allowed\""), rebound);

      String form = send(magi, "POST", "/api/models/profile/activate", local
          + "Content-Type: application/x-www-form-urlencoded\r\n", "profile_name=x");
      assertEquals(415, status(form), form);
      assertTrue(form.contains("\"code\":\"unsupported_media_type\""), form);

      // What a local user does: curl with no Origin, or the console on Magi's own origin.
      assertEquals(200, status(send(magi, "POST", "/api/models/stop", local, null)));
      assertEquals(200, status(send(magi, "GET", "/api/models/servers", "Host: localhost:"
          + magi.gateway().port() + "\r\nOrigin: http://localhost:" + magi.gateway().port() + "\r\n", null)));
      assertEquals(200, status(send(magi, "GET", "/api/models/servers", "Host: magi.lan\r\n", null)),
          "a name in admin.allowed_hosts");
      assertEquals(200, status(send(magi, "POST", "/api/models/stop", local + "Content-Type: application/json\r\n",
          "{}")));
    }
  }

  @Test
  void withATokenTheTokenGuardsAndOriginsMustStillBeAllowed() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("admin:\n  token: s3cret\nserver:\n  cors_origins: [\"https://console.example\"]\n");
      String auth = "Host: magi.example.com\r\nAuthorization: Bearer s3cret\r\n";
      assertEquals(200, status(send(magi, "GET", "/api/models/servers", auth, null)), "any Host, with the token");
      assertEquals(401, status(send(magi, "GET", "/api/models/servers", "Host: magi.example.com\r\n", null)));
      String evil = send(magi, "GET", "/api/models/servers", auth + "Origin: http://evil.example\r\n", null);
      assertEquals(403, status(evil), evil);
      String allowed = send(magi, "GET", "/api/models/servers", auth + "Origin: https://console.example\r\n", null);
      assertEquals(200, status(allowed), allowed);
      assertTrue(allowed.toLowerCase().contains("access-control-allow-origin: https://console.example"), allowed);
    }
  }

  @Test
  void theModelApiIsClosedToOtherOriginsByDefaultAndOpenToListedOnes() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options());
      magi.start("server:\n  cors_origins: [\"http://app.example:3000\"]\n" + Yaml.llama("tiny", llama.url()));
      String host = "Host: 127.0.0.1:" + magi.gateway().port() + "\r\n";

      String evil = send(magi, "POST", "/v1/chat/completions", host + "Origin: http://evil.example\r\n"
          + "Content-Type: text/plain\r\n", CHAT);
      assertEquals(403, status(evil), evil);
      assertTrue(llama.requests().stream().noneMatch(r -> r.path().contains("chat")), "nothing reached the model");

      String preflight = send(magi, "OPTIONS", "/v1/chat/completions", host + "Origin: http://app.example:3000\r\n"
          + "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type, "
          + "x-stainless-os\r\n", null);
      assertEquals(204, status(preflight), preflight);
      String lower = preflight.toLowerCase();
      assertTrue(lower.contains("access-control-allow-origin: http://app.example:3000"), preflight);
      assertTrue(lower.contains("access-control-allow-methods:") && lower.contains("post"), preflight);
      assertTrue(lower.contains("x-stainless-os"), "the SDK's own headers are allowed: " + preflight);

      String chat = send(magi, "POST", "/v1/chat/completions", host + "Origin: http://app.example:3000\r\n"
          + "Content-Type: application/json\r\n", CHAT);
      assertEquals(200, status(chat), chat);
      assertTrue(chat.toLowerCase().contains("access-control-allow-origin: http://app.example:3000"), chat);
      assertTrue(chat.toLowerCase().contains("access-control-expose-headers:"), chat);

      assertEquals(200, status(send(magi, "POST", "/v1/chat/completions", host
          + "Content-Type: application/json\r\n", CHAT)), "no Origin: not a browser's cross-site request");
    }
  }
}
