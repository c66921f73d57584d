package dev.magi.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magi.proxy.api.Json;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The last requests to models ({@code console.recent_requests} of them), for {@code GET /api/requests}:
 * what each asked for and how it went, never its key. Its body only with {@code console.capture_bodies}:
 * then the first {@link #MAX_BODY_BYTES} of it, shown with its secrets redacted ({@link BodyRedaction}).
 * Shared by every event loop; adding holds a lock for a deque operation only.
 */
final class RecentRequests {

  /**
   * One request.
   *
   * @param atMillis when it began (epoch milliseconds)
   * @param requestId its {@code x-request-id}
   * @param endpoint the route it reached ({@code /v1/chat/completions}, {@code /v1/messages}, ...)
   * @param model the model it asked for
   * @param status the HTTP status it got; -1 when its connection was cut
   * @param backend the backend that answered last, or null
   * @param attempts backends tried
   * @param ttftMillis until the first event or the answer's head; -1 when none came
   * @param durationMillis until its end
   * @param promptTokens prompt tokens, -1 when unknown
   * @param completionTokens completion tokens, -1 when unknown
   * @param error why it ended without its answer, or null
   * @param key the name of the key it presented ({@code auth.keys}), or null
   * @param body the first {@link #MAX_BODY_BYTES} of the body the client sent, or null when not captured
   * @param bodyBytes the whole body's length, when captured
   */
  record Entry(long atMillis, String requestId, String endpoint, String model, int status, String backend, int attempts,
      double ttftMillis, double durationMillis, long promptTokens, long completionTokens, String error, String key,
      byte[] body, int bodyBytes) {
  }

  /** Most bytes of a body kept: 200 requests keep at most 6.4 MB of bodies. */
  static final int MAX_BODY_BYTES = 32 * 1024;

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private volatile int limit;
  private volatile boolean captureBodies;

  /**
   * @param limit most requests kept; 0 keeps none
   * @param captureBodies whether their bodies are kept ({@code console.capture_bodies})
   */
  RecentRequests(int limit, boolean captureBodies) {
    this.limit = limit;
    this.captureBodies = captureBodies;
  }

  /** Keeps the bodies of requests from now on, or not. */
  void captureBodies(boolean next) {
    captureBodies = next;
  }

  /** Whether the requests' bodies are kept. */
  boolean capturesBodies() {
    return captureBodies && limit > 0;
  }

  /** Keeps at most {@code next} from now on. */
  void limit(int next) {
    limit = next;
    synchronized (entries) {
      while (entries.size() > next) {
        entries.removeFirst();
      }
    }
  }

  /** Whether requests are kept at all. */
  boolean enabled() {
    return limit > 0;
  }

  void add(Entry entry) {
    synchronized (entries) {
      if (limit <= 0) {
        return;
      }
      if (entries.size() >= limit) {
        entries.removeFirst();
      }
      entries.addLast(entry);
    }
  }

  /**
   * The kept requests, newest first, at most {@code max}.
   *
   * @param model only those that asked for it; null for all
   * @param status only those with this status ({@code 200}, or a class such as {@code 5xx}); null for all
   */
  ObjectNode list(String model, String status, int max) {
    ObjectNode answer = Json.object();
    ArrayNode data = answer.putArray("data");
    synchronized (entries) {
      Iterator<Entry> newest = entries.descendingIterator();
      while (newest.hasNext() && data.size() < max) {
        Entry entry = newest.next();
        if ((model == null || model.equals(entry.model())) && matches(status, entry.status())) {
          data.add(json(entry));
        }
      }
    }
    answer.put("kept", limit);
    return answer;
  }

  /**
   * One kept request by its id, with its body when it was captured: {@code request_body} (text, its
   * secrets redacted), {@code request_body_bytes} and {@code request_body_truncated}.
   *
   * @param secrets strings never shown (Magi's own keys and token)
   */
  java.util.Optional<ObjectNode> one(String requestId, java.util.Collection<String> secrets) {
    Entry found = null;
    synchronized (entries) {
      Iterator<Entry> newest = entries.descendingIterator();
      while (newest.hasNext() && found == null) {
        Entry entry = newest.next();
        if (entry.requestId().equals(requestId)) {
          found = entry;
        }
      }
    }
    if (found == null) {
      return java.util.Optional.empty();
    }
    ObjectNode json = json(found);
    if (found.body() != null) {
      boolean truncated = found.bodyBytes() > found.body().length;
      json.put("request_body", BodyRedaction.redact(found.body(), truncated, secrets));
      json.put("request_body_bytes", found.bodyBytes()).put("request_body_truncated", truncated);
    }
    return java.util.Optional.of(json);
  }

  private static boolean matches(String wanted, int status) {
    if (wanted == null) {
      return true;
    }
    if (wanted.length() == 3 && wanted.endsWith("xx")) {
      return status >= 0 && status / 100 == wanted.charAt(0) - '0';
    }
    return wanted.equals(Integer.toString(status)) || (wanted.equals("cut") && status < 0);
  }

  private static ObjectNode json(Entry entry) {
    ObjectNode json = Json.object();
    json.put("at", java.time.Instant.ofEpochMilli(entry.atMillis()).toString())
        .put("request_id", entry.requestId()).put("endpoint", entry.endpoint()).put("model", entry.model());
    if (entry.status() < 0) {
      json.put("status", "cut");
    } else {
      json.put("status", entry.status());
    }
    json.put("backend", entry.backend()).put("attempts", entry.attempts());
    if (entry.ttftMillis() >= 0) {
      json.put("ttft_ms", entry.ttftMillis());
    } else {
      json.putNull("ttft_ms");
    }
    json.put("duration_ms", entry.durationMillis());
    if (entry.promptTokens() >= 0) {
      json.put("prompt_tokens", entry.promptTokens()).put("completion_tokens", Math.max(0, entry.completionTokens()));
    }
    json.put("error", entry.error()).put("key", entry.key()).put("has_body", entry.body() != null);
    return json;
  }
}
