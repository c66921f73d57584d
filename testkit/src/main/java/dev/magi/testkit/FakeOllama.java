package dev.magi.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process stand-in for Ollama's native API as {@code shared/protocols.md} §4 describes it:
 * {@code /api/tags}, {@code /api/version}, {@code /api/chat} and {@code /api/generate} (NDJSON when
 * streaming, one object otherwise), {@code /api/embed}, and its {@code {"error":"..."}} errors.
 *
 * <p>When a chat request offers tools, the fake calls the first one with {@code {"city":"Paris"}},
 * as a whole call in a {@code done:false} line, the way Ollama sends tool calls; unless its last
 * message is a tool's result, which it answers in text.
 */
public final class FakeOllama extends FakeServer {

  private final Options options;
  private final List<String> models;
  private final AtomicInteger resets = new AtomicInteger();
  private volatile int errorLineAfterTokens = -1;

  private FakeOllama(Vertx vertx, Options options) {
    super(vertx);
    this.options = options;
    this.models = new CopyOnWriteArrayList<>(options.models);
  }

  /** Starts a fake on {@code 127.0.0.1} and a free port. */
  public static Future<FakeOllama> start(Vertx vertx, Options options) {
    FakeOllama fake = new FakeOllama(vertx, options);
    return fake.listen(0).map(listening -> fake);
  }

  /** Adds a model to what {@code /api/tags} lists (as after {@code ollama pull}). */
  public void addModel(String name) {
    models.add(name);
  }

  /** The next streamed chat or generate response sends {@code tokens} lines, then {@code {"error":...}}. */
  public void errorLineInNextStreamAfter(int tokens) {
    this.errorLineAfterTokens = tokens;
  }

  /** How many streamed responses the client abandoned before they ended. */
  public int resets() {
    return resets.get();
  }

  @Override
  protected void route(HttpServerRequest request, String body, JsonNode json) {
    switch (request.method().name() + " " + request.path()) {
      case "GET /api/tags" -> json(request, 200, tags());
      case "GET /api/version" -> json(request, 200, "{\"version\":\"0.12.6\"}");
      case "GET /", "HEAD /" -> request.response().end("Ollama is running");
      case "POST /api/chat" -> generate(request, json, true);
      case "POST /api/generate" -> generate(request, json, false);
      case "POST /api/embed" -> embed(request, json);
      default -> json(request, 404, "{\"error\":\"404 page not found\"}");
    }
  }

  private String tags() {
    ObjectNode root = FakeJson.object();
    ArrayNode list = root.putArray("models");
    for (String name : models) {
      ObjectNode model = list.addObject();
      model.put("name", name).put("model", name).put("modified_at", "2025-06-01T10:00:00.123456789+02:00")
          .put("size", 2019393189L).put("digest", "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72");
      ObjectNode details = model.putObject("details");
      details.put("parent_model", "").put("format", "gguf").put("family", "llama");
      details.putArray("families").add("llama");
      details.put("parameter_size", "3.2B").put("quantization_level", "Q4_K_M");
    }
    return FakeJson.write(root);
  }

  private boolean known(String model) {
    String canonical = model.contains(":") ? model : model + ":latest";
    return models.stream().anyMatch(m -> m.equals(canonical) || m.equals(model));
  }

  private void generate(HttpServerRequest request, JsonNode json, boolean chat) {
    if (json == null || !json.isObject()) {
      json(request, 400, "{\"error\":\"invalid character 'x' looking for beginning of value\"}");
      return;
    }
    String model = json.path("model").asText("");
    if (!known(model)) {
      json(request, 404, "{\"error\":\"model '" + model + "' not found\"}");
      return;
    }
    boolean stream = !json.has("stream") || json.get("stream").asBoolean();
    int limit = json.path("options").path("num_predict").asInt(-1);
    int count = limit > 0 ? Math.min(limit, options.defaultTokens) : options.defaultTokens;
    String doneReason = limit > 0 && limit <= options.defaultTokens ? "length" : "stop";
    JsonNode messages = json.path("messages");
    boolean answersToolResult = messages.isArray() && !messages.isEmpty()
        && "tool".equals(messages.get(messages.size() - 1).path("role").asText());
    boolean callTool = chat && json.path("tools").isArray() && json.path("tools").size() > 0 && !answersToolResult;
    String toolName = callTool ? json.path("tools").get(0).path("function").path("name").asText() : null;
    int errorAfter = stream ? errorLineAfterTokens : -1;
    if (stream) {
      errorLineAfterTokens = -1;
    }
    String createdAt = OffsetDateTime.now(ZoneOffset.ofHours(-7)).toString();
    HttpServerResponse response = request.response();
    if (!stream) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < count && !callTool; i++) {
        text.append(options.tokens.get(i % options.tokens.size()));
      }
      ObjectNode line = line(model, createdAt, chat, text.toString(), callTool ? toolName : null);
      finalFields(line, doneReason, count);
      vertx.setTimer(Math.max(1, options.tokenDelayMillis * count), id -> json(request, 200, FakeJson.write(line)));
      return;
    }
    response.putHeader("Content-Type", "application/x-ndjson");
    response.setChunked(true);
    boolean[] done = {false};
    response.closeHandler(v -> {
      if (!done[0]) {
        done[0] = true;
        resets.incrementAndGet();
      }
    });
    int steps = callTool ? 1 : count;
    new Object() {
      int sent;

      void next() {
        if (done[0]) {
          return;
        }
        if (sent == errorAfter) {
          done[0] = true;
          response.end("{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n");
          return;
        }
        if (sent < steps) {
          String token = options.tokens.get(sent % options.tokens.size());
          response.write(FakeJson.write(line(model, createdAt, chat, callTool ? "" : token,
              callTool ? toolName : null)) + "\n");
          sent++;
          vertx.setTimer(Math.max(1, options.tokenDelayMillis), id -> next());
          return;
        }
        done[0] = true;
        ObjectNode last = line(model, createdAt, chat, "", null);
        finalFields(last, doneReason, count);
        response.end(FakeJson.write(last) + "\n");
      }
    }.next();
  }

  private static ObjectNode line(String model, String createdAt, boolean chat, String text, String toolName) {
    ObjectNode line = FakeJson.object();
    line.put("model", model).put("created_at", createdAt);
    if (chat) {
      ObjectNode message = line.putObject("message");
      message.put("role", "assistant").put("content", text);
      if (toolName != null) {
        ObjectNode call = message.putArray("tool_calls").addObject();
        call.put("id", "call_fake0001");
        ObjectNode function = call.putObject("function");
        function.put("index", 0).put("name", toolName);
        function.putObject("arguments").put("city", "Paris");
      }
    } else {
      line.put("response", text);
    }
    line.put("done", false);
    return line;
  }

  private static void finalFields(ObjectNode line, String doneReason, int evalCount) {
    line.put("done", true).put("done_reason", doneReason).put("total_duration", 4883583458L)
        .put("load_duration", 1334875).put("prompt_eval_count", 26).put("prompt_eval_duration", 342546000)
        .put("eval_count", evalCount).put("eval_duration", 4535599000L);
  }

  private void embed(HttpServerRequest request, JsonNode json) {
    if (json == null || !json.isObject()) {
      json(request, 400, "{\"error\":\"invalid request\"}");
      return;
    }
    String model = json.path("model").asText("");
    if (!known(model)) {
      json(request, 404, "{\"error\":\"model '" + model + "' not found\"}");
      return;
    }
    List<String> inputs = new ArrayList<>();
    JsonNode input = json.path("input");
    if (input.isArray()) {
      input.forEach(i -> inputs.add(i.asText()));
    } else {
      inputs.add(input.asText());
    }
    ObjectNode out = FakeJson.object();
    out.put("model", model);
    ArrayNode embeddings = out.putArray("embeddings");
    for (String text : inputs) {
      ArrayNode vector = embeddings.addArray();
      for (float f : FakeJson.embedding(text, options.embeddingDimensions)) {
        vector.add(f);
      }
    }
    out.put("total_duration", 14143917).put("load_duration", 1019500).put("prompt_eval_count", 2 * inputs.size());
    json(request, 200, FakeJson.write(out));
  }

  private static void json(HttpServerRequest request, int status, String body) {
    request.response().setStatusCode(status).putHeader("Content-Type", "application/json; charset=utf-8").end(body);
  }

  /** How the fake behaves. */
  public static final class Options {
    List<String> models = List.of("llama3.2:latest");
    List<String> tokens = List.of("The", " sky", " is", " blue", ".");
    int defaultTokens = 5;
    long tokenDelayMillis;
    int embeddingDimensions = 8;

    /** The models {@code /api/tags} lists (canonical names). */
    public Options models(List<String> names) {
      this.models = List.copyOf(names);
      return this;
    }

    /** The token texts, used in turn. */
    public Options tokens(List<String> tokens) {
      this.tokens = List.copyOf(tokens);
      return this;
    }

    /** How many tokens an answer has when {@code num_predict} does not cut it short. */
    public Options defaultTokens(int count) {
      this.defaultTokens = count;
      return this;
    }

    /** Time per generated line. */
    public Options tokenDelayMillis(long millis) {
      this.tokenDelayMillis = millis;
      return this;
    }

    /** Length of the vectors {@code /api/embed} returns. */
    public Options embeddingDimensions(int dimensions) {
      this.embeddingDimensions = dimensions;
      return this;
    }
  }
}
