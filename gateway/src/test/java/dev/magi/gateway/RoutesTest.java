package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every route of the table is guarded as its area says: with API keys and an admin token configured,
 * no route under {@code /v1/} or {@code /api/} answers anything but 401 to a caller without them, the
 * fast path included; the routes outside the areas (health) and the console's pages answer everyone.
 */
class RoutesTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** A concrete path for a route: every parameter or named group becomes {@code x}, a wildcard nothing. */
  private static String concrete(Routes.Route route) {
    return route.regex() ? route.path().replaceAll("\\(\\?<\\w+>[^)]*\\)", "x")
        : route.path().replaceAll(":\\w+", "x").replaceAll("\\*$", "");
  }

  @Test
  void everyRouteIsGuardedAsItsAreaSays() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      magi.start("auth:\n  api_keys: [sk-route-test]\nadmin:\n  token: admin-route-test\n");
      List<Routes.Route> table = magi.gateway().routeTable();
      assertTrue(table.size() > 30, "the table: " + table.size() + " routes");
      Set<String> declared = new HashSet<>();
      List<String> wrong = new ArrayList<>();
      for (Routes.Route route : table) {
        assertTrue(declared.add(route.method() + " " + route.path()), "declared twice: " + route.path());
        String path = concrete(route);
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(magi.url() + path))
            .method(route.method().name(), HttpRequest.BodyPublishers.ofString("{}"))
            .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        Routes.Access access = route.access();
        boolean guarded = answer.statusCode() == 401;
        // The console's pages hold no data: with a token set, anyone may load them (their API calls carry it).
        if (access == Routes.Access.OPEN || access == Routes.Access.CONSOLE ? guarded || answer.statusCode() == 404 : !guarded) {
          wrong.add(route.method() + " " + path + " (" + access + ") answered " + answer.statusCode());
        }
      }
      assertEquals(List.of(), wrong);
      assertEquals(Set.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/tokenize", "/detokenize",
          "/v1/rerank", "/rerank"),
          Routes.proxied(table).keySet(), "the fast path serves the proxied routes of the table");
    }
  }
}
