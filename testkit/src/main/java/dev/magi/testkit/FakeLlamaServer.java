package dev.magi.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process stand-in for llama.cpp's {@code llama-server} that answers byte for byte like the
 * captures in {@code shared/transcripts/llama-server/}: the same headers in the same order, the same
 * JSON field order, the same error shapes, 503 "Loading model" on every route while loading, and
 * requests that wait (status line included) while every slot is busy.
 *
 * <p>Generation is fake: tokens are taken in turn from a fixed list, one every
 * {@link Options#tokenDelayMillis} milliseconds. A chat that offers tools gets a call to one, as a model
 * started with {@code --jinja} makes: its head (id, name) and then its arguments in pieces
 * ({@link #TOOL_ARGUMENTS}), finish reason {@code tool_calls}. What the server saw is observable: the requests,
 * and how many responses the client abandoned before they ended ({@link #resets()}).
 *
 * <p>Start one with {@link #start(Vertx, Options)} on port 0 and read {@link #port()}.
 */
public final class FakeLlamaServer extends FakeServer {

  /** The build id the captured server reported. */
  public static final String BUILD = "b9749-d32676d77";
  /** The tokens the captured server produced for "Hello there!" at temperature 0. */
  public static final List<String> TRANSCRIPT_TOKENS = List.of("이", " północ", " seinen", " коли", " gepublic",
      " HE", " geht", " stood");

  private static final Set<String> PUBLIC_PATHS = Set.of("/health", "/v1/health", "/models", "/v1/models");

  private final Options options;
  private final AtomicInteger resets = new AtomicInteger();
  private final AtomicInteger completed = new AtomicInteger();
  private final AtomicInteger deferredTotal = new AtomicInteger();
  private final List<CompletableFuture<Void>> resetWaiters = new CopyOnWriteArrayList<>();
  private final Deque<Runnable> deferred = new ArrayDeque<>();
  private volatile boolean loading;
  private final Promise<Void> answeredHealthy = Promise.promise();
  private volatile int failStreamAfterTokens = -1;
  private volatile int errorEventAfterTokens = -1;
  private volatile boolean dropNextStreamAfterHeaders;
  private int busySlots;
  /** Totals for {@code /metrics}, kept on the server's context. */
  private long promptTokensTotal;
  private long predictedTokensTotal;

  private FakeLlamaServer(Vertx vertx, Options options) {
    super(vertx);
    this.options = options;
    this.loading = options.startLoading;
  }

  /**
   * Starts a fake on {@code 127.0.0.1} and the port {@link Options#port} (0 = any free port).
   *
   * @return the running fake
   */
  public static Future<FakeLlamaServer> start(Vertx vertx, Options options) {
    FakeLlamaServer fake = new FakeLlamaServer(vertx, options);
    return fake.listen(options.port).map(listening -> fake);
  }

  /**
   * Completes when {@code /health} first answers 200: a supervisor polling it has then seen the
   * server ready. Completed on the server's context.
   */
  public Future<Void> answeredHealthy() {
    return answeredHealthy.future();
  }

  /** Makes every route answer 503 "Loading model" (true) or serve normally (false). */
  public void setLoading(boolean loading) {
    this.loading = loading;
  }

  /** The next streamed response drops its connection after {@code tokens} content events. */
  public void failNextStreamAfter(int tokens) {
    this.failStreamAfterTokens = tokens;
  }

  /**
   * The next streamed response sends its status line and headers, then drops the connection before
   * its first event (as a server that crashes during prompt processing).
   */
  public void dropNextStreamAfterHeaders() {
    this.dropNextStreamAfterHeaders = true;
  }

  /**
   * The next streamed response sends {@code tokens} content events, then the error event a real
   * server sends when generated text is not valid UTF-8, and ends without {@code [DONE]}.
   */
  public void errorEventInNextStreamAfter(int tokens) {
    this.errorEventAfterTokens = tokens;
  }

  /** How many responses the client abandoned (connection closed) before they ended. */
  public int resets() {
    return resets.get();
  }

  /** How many generation responses ended normally. */
  public int completed() {
    return completed.get();
  }

  /** Completes when the number of abandoned responses reaches {@code count}. */
  public CompletableFuture<Void> awaitResets(int count) {
    CompletableFuture<Void> waiter = new CompletableFuture<>();
    resetWaiters.add(waiter);
    if (resets.get() >= count) {
      waiter.complete(null);
    }
    return waiter.orTimeout(30, TimeUnit.SECONDS);
  }

  /** How many requests arrived while every slot was busy, and had to wait inside the server. */
  public int deferredTotal() {
    return deferredTotal.get();
  }

  /** Slots currently generating. Read on any thread; exact only on the server's context. */
  public int busySlots() {
    return busySlots;
  }

  @Override
  protected void route(HttpServerRequest request, String body, JsonNode json) {
    String path = request.path();
    if (loading) {
      error(request, 503, "{\"error\":{\"message\":\"Loading model\",\"type\":\"unavailable_error\",\"code\":503}}");
      return;
    }
    if (options.apiKey != null && !PUBLIC_PATHS.contains(path) && !keyMatches(request)) {
      error(request, 401, "{\"error\":{\"message\":\"Invalid API Key\",\"type\":\"authentication_error\",\"code\":401}}");
      return;
    }
    String method = request.method().name();
    if (options.logRequests && request.method() == io.vertx.core.http.HttpMethod.POST) {
      // llama-server's line once an answer has ended (its health checks are not logged).
      request.response().endHandler(ended -> {
        System.out.println("srv  log_server_r: request: " + method + " " + path + " "
            + request.remoteAddress().hostAddress() + " " + request.response().getStatusCode());
        System.out.flush();
      });
    }
    switch (method + " " + path) {
      case "GET /health", "GET /v1/health" -> {
        ok(request, "{\"status\":\"ok\"}");
        answeredHealthy.tryComplete();
      }
      case "GET /models", "GET /v1/models" -> ok(request, modelsBody());
      case "GET /props" -> props(request);
      case "GET /slots" -> slots(request);
      case "GET /metrics" -> metrics(request);
      case "POST /v1/chat/completions", "POST /chat/completions" -> generate(request, body, json, true);
      case "POST /v1/completions", "POST /completions" -> generate(request, body, json, false);
      case "POST /v1/embeddings" -> embeddings(request, body, json);
      case "POST /v1/rerank", "POST /rerank", "POST /v1/reranking", "POST /reranking" -> rerank(request, json);
      case "POST /tokenize" -> tokenize(request, json);
      case "POST /detokenize" -> detokenize(request, json);
      case "POST /v1/messages/count_tokens" -> countTokens(request, json);
      default -> error(request, 404,
          "{\"error\":{\"message\":\"File Not Found\",\"type\":\"not_found_error\",\"code\":404}}");
    }
  }

  /**
   * {@code /v1/rerank} of a server started with {@code --reranking}: each document scored by the share
   * of the query's words it holds (so that tests can tell the order), best first, {@code top_n} kept;
   * {@code return_documents} adds each document's text. Without {@code --reranking}, 501 as llama-server.
   */
  private void rerank(HttpServerRequest request, JsonNode json) {
    if (!options.reranking) {
      error(request, 501, "{\"error\":{\"code\":501,\"message\":\"This server does not support reranking. Start it"
          + " with `--reranking`\",\"type\":\"not_supported_error\"}}");
      return;
    }
    if (json == null || !json.path("query").isTextual() || !json.path("documents").isArray()) {
      error(request, 400, "{\"error\":{\"code\":400,\"message\":\"\\\"query\\\" and \\\"documents\\\" must be"
          + " provided\",\"type\":\"invalid_request_error\"}}");
      return;
    }
    java.util.Set<String> query = words(json.get("query").asText());
    List<double[]> scored = new java.util.ArrayList<>();
    List<String> texts = new java.util.ArrayList<>();
    int tokens = query.size();
    for (JsonNode document : json.get("documents")) {
      String text = document.isTextual() ? document.asText() : document.path("text").asText("");
      texts.add(text);
      java.util.Set<String> words = words(text);
      tokens += words.size();
      long shared = words.stream().filter(query::contains).count();
      scored.add(new double[] {scored.size(), query.isEmpty() ? 0 : (double) shared / query.size()});
    }
    scored.sort((a, b) -> Double.compare(b[1], a[1]));
    int topN = json.path("top_n").asInt(scored.size());
    ObjectNode answer = FakeJson.object();
    answer.put("model", options.alias).put("object", "list");
    answer.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
    com.fasterxml.jackson.databind.node.ArrayNode results = answer.putArray("results");
    for (double[] score : scored.subList(0, Math.min(topN, scored.size()))) {
      ObjectNode result = results.addObject().put("index", (int) score[0]).put("relevance_score", score[1]);
      if (json.path("return_documents").asBoolean(false)) {
        result.putObject("document").put("text", texts.get((int) score[0]));
      }
    }
    ok(request, FakeJson.write(answer));
  }

  private static java.util.Set<String> words(String text) {
    java.util.Set<String> words = new java.util.HashSet<>();
    for (String word : text.toLowerCase(java.util.Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (!word.isEmpty()) {
        words.add(word);
      }
    }
    return words;
  }

  /**
   * {@code /tokenize}: a word, with the space before it, or a mark is one token; ids come from a
   * vocabulary the fake grows as it meets pieces, so that {@code /detokenize} inverts them.
   * {@code add_special} puts llama's {@code <s>} (id 1) first; {@code with_pieces} answers
   * {@code {"id","piece"}} objects, as the captures show.
   */
  private void tokenize(HttpServerRequest request, JsonNode json) {
    if (json == null || !json.path("content").isTextual()) {
      error(request, 400, "{\"error\":{\"code\":400,\"message\":\"\\\"content\\\" must be provided\","
          + "\"type\":\"invalid_request_error\"}}");
      return;
    }
    boolean pieces = json.path("with_pieces").asBoolean(false);
    ObjectNode answer = FakeJson.object();
    com.fasterxml.jackson.databind.node.ArrayNode tokens = answer.putArray("tokens");
    List<String> split = new java.util.ArrayList<>();
    if (json.path("add_special").asBoolean(false)) {
      split.add("<s>");
    }
    java.util.regex.Matcher words = TOKEN.matcher(json.get("content").asText());
    while (words.find()) {
      split.add(words.group());
    }
    for (String piece : split) {
      int id = VOCABULARY.computeIfAbsent(piece, p -> p.equals("<s>") ? 1 : 100 + VOCABULARY.size());
      if (pieces) {
        tokens.addObject().put("id", id).put("piece", piece);
      } else {
        tokens.add(id);
      }
    }
    ok(request, FakeJson.write(answer));
  }

  private void detokenize(HttpServerRequest request, JsonNode json) {
    StringBuilder content = new StringBuilder();
    for (JsonNode id : json == null ? FakeJson.array() : json.path("tokens")) {
      VOCABULARY.forEach((piece, known) -> {
        if (known == id.asInt()) {
          content.append(piece);
        }
      });
    }
    ok(request, FakeJson.write(FakeJson.object().put("content", content.toString())));
  }

  /**
   * Anthropic's {@code count_tokens}, which llama-server serves for its Messages route: the prompt
   * tokens a chat of the same system and messages would report.
   */
  private void countTokens(HttpServerRequest request, JsonNode json) {
    int chars = json == null ? 0 : text(json.get("system"));
    for (JsonNode message : json == null ? FakeJson.array() : json.path("messages")) {
      chars += text(message.get("content"));
    }
    ok(request, FakeJson.write(FakeJson.object().put("input_tokens", 20 + chars / 6)));
  }

  /** The length of a string, or of the text blocks of an array of blocks. */
  private static int text(JsonNode content) {
    if (content == null) {
      return 0;
    }
    if (content.isTextual()) {
      return content.asText().length();
    }
    int chars = 0;
    for (JsonNode block : content) {
      chars += block.path("text").asText("").length();
    }
    return chars;
  }

  private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile(
      " ?[\\p{L}\\p{N}]+| ?[^\\s\\p{L}\\p{N}]|\\s+");
  private static final java.util.Map<String, Integer> VOCABULARY = new java.util.concurrent.ConcurrentHashMap<>();

  private boolean keyMatches(HttpServerRequest request) {
    String auth = request.getHeader("Authorization");
    String xKey = request.getHeader("X-Api-Key");
    return options.apiKey.equals(xKey) || ("Bearer " + options.apiKey).equals(auth) || options.apiKey.equals(auth);
  }

  private void generate(HttpServerRequest request, String body, JsonNode json, boolean chat) {
    if (body.isEmpty()) {
      error(request, 500, "{\"error\":{\"code\":500,\"message\":\"[json.exception.parse_error.101] parse error at line 1,"
          + " column 1: attempting to parse an empty input; check that your input string or stream contains the"
          + " expected JSON\",\"type\":\"server_error\"}}");
      return;
    }
    if (json == null || !json.isObject()) {
      error(request, 500, "{\"error\":{\"code\":500,\"message\":\"[json.exception.parse_error.101] parse error: syntax"
          + " error while parsing value\",\"type\":\"server_error\"}}");
      return;
    }
    if (chat && !json.has("messages")) {
      error(request, 400, "{\"error\":{\"code\":400,\"message\":\"'messages' is required\",\"type\":\"invalid_request_error\"}}");
      return;
    }
    JsonNode temperature = json.get("temperature");
    if (temperature != null && !temperature.isNumber() && !temperature.isNull()) {
      error(request, 400, "{\"error\":{\"code\":400,\"message\":\"Field 'temperature': [json.exception.type_error.302] type"
          + " must be number, but is " + temperature.getNodeType().name().toLowerCase() + "\",\"type\":\"invalid_request_error\"}}");
      return;
    }
    int promptTokens = promptTokens(json, chat);
    if (promptTokens > options.contextPerSlot) {
      error(request, 400, "{\"error\":{\"code\":400,\"message\":\"request (" + promptTokens + " tokens) exceeds the available"
          + " context size (" + options.contextPerSlot + " tokens), try increasing it\",\"type\":\"exceed_context_size_error\","
          + "\"n_prompt_tokens\":" + promptTokens + ",\"n_ctx\":" + options.contextPerSlot + "}}");
      return;
    }
    Generation generation = new Generation(request, json, chat, promptTokens);
    if (busySlots < options.slots) {
      busySlots++;
      if (options.promptMillis > 0) {
        vertx.setTimer(options.promptMillis, id -> generation.run());
        return;
      }
      generation.run();
    } else {
      Runnable waiting = generation::run;
      deferredTotal.incrementAndGet();
      deferred.add(waiting);
      request.response().closeHandler(v -> deferred.remove(waiting));
    }
  }

  private void freeSlot() {
    busySlots--;
    Runnable next = deferred.poll();
    if (next != null) {
      busySlots++;
      next.run();
    }
  }

  /** The arguments of every tool call, in the pieces a stream sends them in. */
  public static final List<String> TOOL_ARGUMENTS = List.of("{\"city\":", "\"Paris\"}");

  /**
   * The tool a chat request gets a call to, as a model started with {@code --jinja} would: the one
   * {@code tool_choice} names, else the first of {@code tools}; none when no tools are offered, when
   * {@code tool_choice} is {@code none}, or when the last message is a tool's result (the model then
   * answers in text).
   */
  private static String toolToCall(JsonNode json) {
    JsonNode tools = json.path("tools");
    JsonNode messages = json.path("messages");
    if (!tools.isArray() || tools.isEmpty() || "none".equals(json.path("tool_choice").asText())
        || (messages.isArray() && !messages.isEmpty()
            && "tool".equals(messages.get(messages.size() - 1).path("role").asText()))) {
      return null;
    }
    String named = json.path("tool_choice").path("function").path("name").asText("");
    return named.isEmpty() ? tools.get(0).path("function").path("name").asText("tool") : named;
  }

  private static int promptTokens(JsonNode json, boolean chat) {
    int chars = 0;
    if (chat) {
      for (JsonNode message : json.path("messages")) {
        chars += message.path("content").asText("").length();
      }
    } else {
      chars = json.path("prompt").asText("").length();
    }
    return 20 + chars / 6;
  }

  /** One generation occupying one slot until it ends or its client leaves. */
  private final class Generation {
    private final HttpServerRequest request;
    private final JsonNode json;
    private final boolean chat;
    private final int promptTokens;
    private final boolean stream;
    private final int maxTokens;
    private final String id = "chatcmpl-" + FakeJson.randomId(32);
    private final long created = System.currentTimeMillis() / 1000;
    private final int failAfter;
    private final int errorAfter;
    private final boolean dropAfterHeaders;
    private final StringBuilder text = new StringBuilder();
    /** The tool this generation calls instead of answering in text; null when it answers in text. */
    private final String toolCall;
    private final String toolCallId = "call_" + FakeJson.randomId(24);
    private int produced;
    private boolean finished;

    Generation(HttpServerRequest request, JsonNode json, boolean chat, int promptTokens) {
      this.request = request;
      this.json = json;
      this.chat = chat;
      this.promptTokens = promptTokens;
      this.stream = json.path("stream").asBoolean(false);
      JsonNode limit = json.has("max_tokens") ? json.get("max_tokens")
          : json.has("max_completion_tokens") ? json.get("max_completion_tokens") : json.get("n_predict");
      this.maxTokens = limit != null && limit.canConvertToInt() && limit.asInt() > 0 ? limit.asInt() : -1;
      this.toolCall = chat ? toolToCall(json) : null;
      if (stream) {
        this.failAfter = failStreamAfterTokens;
        this.errorAfter = errorEventAfterTokens;
        this.dropAfterHeaders = dropNextStreamAfterHeaders;
        failStreamAfterTokens = -1;
        errorEventAfterTokens = -1;
        dropNextStreamAfterHeaders = false;
      } else {
        this.failAfter = -1;
        this.errorAfter = -1;
        this.dropAfterHeaders = false;
      }
    }

    int target() {
      if (toolCall != null) {
        return TOOL_ARGUMENTS.size() + 1;
      }
      return maxTokens > 0 ? maxTokens : options.defaultTokens;
    }

    /** The delta of the tool call's {@code n}th event: its head (id, name), then its arguments in pieces. */
    private ObjectNode toolDelta(int n) {
      ObjectNode call = FakeJson.object().put("index", 0);
      if (n == 0) {
        call.put("id", toolCallId).put("type", "function");
        call.putObject("function").put("name", toolCall).put("arguments", "");
      } else {
        call.putObject("function").put("arguments", TOOL_ARGUMENTS.get(n - 1));
      }
      ObjectNode delta = FakeJson.object();
      delta.putArray("tool_calls").add(call);
      return delta;
    }

    void run() {
      HttpServerResponse response = request.response();
      response.closeHandler(v -> {
        if (!finished) {
          finished = true;
          resets.incrementAndGet();
          resetWaiters.forEach(w -> w.complete(null));
          freeSlot();
        }
      });
      if (stream) {
        MultiMap headers = response.headers();
        headers.add("Server", "llama.cpp");
        headers.add("Access-Control-Allow-Origin", "");
        headers.add("X-Accel-Buffering", "no");
        headers.add("Content-Type", "text/event-stream");
        response.setChunked(true);
        headers.add("Keep-Alive", "timeout=5, max=100");
        if (dropAfterHeaders) {
          finished = true;
          response.writeHead().onComplete(done -> request.connection().close());
          freeSlot();
          return;
        }
        if (chat) {
          ObjectNode delta = FakeJson.object();
          delta.put("role", "assistant");
          delta.putNull("content");
          Buffer first = event(chatChunk(delta, null));
          if (options.tokenDelayMillis == 0) {
            step(first);
          } else {
            response.write(first);
            schedule(() -> step(Buffer.buffer()));
          }
        } else {
          schedule(() -> step(Buffer.buffer()));
        }
      } else {
        schedule(this::stepSilently);
      }
    }

    private void schedule(Runnable action) {
      if (options.tokenDelayMillis == 0) {
        action.run();
      } else {
        vertx.setTimer(options.tokenDelayMillis, id -> action.run());
      }
    }

    /** Produces tokens for a non-streaming request, then answers once. */
    private void stepSilently() {
      if (finished) {
        return;
      }
      if (produced < target()) {
        if (toolCall != null) {
          produced++;
        } else {
          text.append(nextToken());
        }
        schedule(this::stepSilently);
        return;
      }
      finish();
      ok(request, FakeJson.write(chat ? chatCompletion() : textCompletion()));
    }

    /** Sends the next token event (with anything pending in {@code out}), or the end of the stream. */
    private void step(Buffer out) {
      if (finished) {
        return;
      }
      HttpServerResponse response = request.response();
      if (produced == failAfter) {
        finished = true;
        response.write(out);
        request.connection().close();
        freeSlot();
        return;
      }
      if (produced == errorAfter) {
        finish();
        out.appendBuffer(event("{\"error\":{\"code\":500,\"message\":\"The model produced output that does not match the"
            + " expected peg-native format\",\"type\":\"server_error\"}}"));
        response.end(out);
        return;
      }
      if (produced < target() && toolCall != null) {
        out.appendBuffer(event(chatChunk(toolDelta(produced++), null)));
        response.write(out);
        schedule(() -> step(Buffer.buffer()));
        return;
      }
      if (produced < target()) {
        String token = nextToken();
        if (chat) {
          ObjectNode delta = FakeJson.object();
          delta.put("content", token);
          out.appendBuffer(event(chatChunk(delta, null)));
        } else {
          out.appendBuffer(event(textChunk(token, null)));
        }
        response.write(out);
        schedule(() -> step(Buffer.buffer()));
        return;
      }
      finish();
      String reason = finishReason();
      if (chat) {
        ObjectNode last = chatChunk(FakeJson.object(), reason);
        boolean includeUsage = json.path("stream_options").path("include_usage").asBoolean(false);
        if (includeUsage) {
          out.appendBuffer(event(last));
          ObjectNode usage = FakeJson.object();
          usage.set("choices", FakeJson.array());
          usage.put("created", created).put("id", id).put("model", options.alias)
              .put("system_fingerprint", BUILD).put("object", "chat.completion.chunk");
          usage.set("usage", usage());
          usage.set("timings", timings());
          out.appendBuffer(event(usage));
        } else {
          last.set("timings", timings());
          out.appendBuffer(event(last));
        }
      } else {
        ObjectNode last = textChunk("", reason);
        out.appendBuffer(event(last));
      }
      out.appendString("data: [DONE]\n\n");
      response.end(out);
    }

    private void finish() {
      finished = true;
      completed.incrementAndGet();
      promptTokensTotal += promptTokens;
      predictedTokensTotal += produced;
      freeSlot();
    }

    private String nextToken() {
      String token = options.tokens.get(produced % options.tokens.size());
      produced++;
      return token;
    }

    private String finishReason() {
      if (toolCall != null) {
        return "tool_calls";
      }
      return maxTokens > 0 && produced >= maxTokens ? "length" : "stop";
    }

    private ObjectNode chatChunk(ObjectNode delta, String finishReason) {
      ObjectNode chunk = FakeJson.object();
      ObjectNode choice = chunk.putArray("choices").addObject();
      choice.put("finish_reason", finishReason);
      choice.put("index", 0);
      choice.set("delta", delta);
      chunk.put("created", created).put("id", id).put("model", options.alias)
          .put("system_fingerprint", BUILD).put("object", "chat.completion.chunk");
      return chunk;
    }

    private ObjectNode textChunk(String token, String finishReason) {
      ObjectNode chunk = FakeJson.object();
      ObjectNode choice = chunk.putArray("choices").addObject();
      choice.put("text", token).put("index", 0).putNull("logprobs");
      choice.put("finish_reason", finishReason);
      chunk.put("created", created).put("model", options.alias).put("system_fingerprint", BUILD)
          .put("object", "text_completion");
      if (finishReason != null) {
        chunk.set("usage", usage());
      }
      chunk.put("id", id);
      if (finishReason != null) {
        chunk.set("timings", timings());
      }
      return chunk;
    }

    private ObjectNode chatCompletion() {
      ObjectNode body = FakeJson.object();
      ObjectNode choice = body.putArray("choices").addObject();
      choice.put("finish_reason", finishReason()).put("index", 0);
      ObjectNode message = choice.putObject("message").put("role", "assistant");
      if (toolCall != null) {
        message.putNull("content");
        ObjectNode call = message.putArray("tool_calls").addObject();
        call.put("type", "function");
        call.putObject("function").put("name", toolCall).put("arguments", String.join("", TOOL_ARGUMENTS));
        call.put("id", toolCallId);
      } else {
        message.put("content", text.toString());
      }
      body.put("created", created).put("model", options.alias).put("system_fingerprint", BUILD)
          .put("object", "chat.completion");
      body.set("usage", usage());
      body.put("id", id);
      body.set("timings", timings());
      return body;
    }

    private ObjectNode textCompletion() {
      ObjectNode body = FakeJson.object();
      ObjectNode choice = body.putArray("choices").addObject();
      choice.put("text", text.toString()).put("index", 0).putNull("logprobs").put("finish_reason", finishReason());
      body.put("created", created).put("model", options.alias).put("system_fingerprint", BUILD)
          .put("object", "text_completion");
      body.set("usage", usage());
      body.put("id", id);
      body.set("timings", timings());
      return body;
    }

    private ObjectNode usage() {
      ObjectNode usage = FakeJson.object();
      usage.put("completion_tokens", produced).put("prompt_tokens", promptTokens)
          .put("total_tokens", produced + promptTokens);
      usage.putObject("prompt_tokens_details").put("cached_tokens", 0);
      return usage;
    }

    private ObjectNode timings() {
      double predictedMs = Math.max(0.2, produced * Math.max(options.tokenDelayMillis, 0.25));
      ObjectNode timings = FakeJson.object();
      timings.put("cache_n", 0).put("prompt_n", promptTokens).put("prompt_ms", 1.155)
          .put("prompt_per_token_ms", 1.155 / promptTokens).put("prompt_per_second", promptTokens / 1.155 * 1000)
          .put("predicted_n", produced).put("predicted_ms", predictedMs)
          .put("predicted_per_token_ms", produced == 0 ? 0 : predictedMs / produced)
          .put("predicted_per_second", produced / predictedMs * 1000);
      return timings;
    }
  }

  private void embeddings(HttpServerRequest request, String body, JsonNode json) {
    if (!options.embeddings) {
      error(request, 501, "{\"error\":{\"code\":501,\"message\":\"This server does not support embeddings. Start it with"
          + " `--embeddings`\",\"type\":\"not_supported_error\"}}");
      return;
    }
    if (json == null || !json.isObject()) {
      error(request, 500, "{\"error\":{\"code\":500,\"message\":\"[json.exception.parse_error.101] parse error\","
          + "\"type\":\"server_error\"}}");
      return;
    }
    JsonNode input = json.has("input") ? json.get("input") : json.get("content");
    if (input == null) {
      error(request, 400, "{\"error\":{\"code\":400,\"message\":\"\\\"input\\\" or \\\"content\\\" must be provided\","
          + "\"type\":\"invalid_request_error\"}}");
      return;
    }
    List<String> texts = new ArrayList<>();
    if (input.isArray() && input.size() > 0 && !input.get(0).isInt()) {
      input.forEach(item -> texts.add(item.isTextual() ? item.asText() : item.toString()));
    } else {
      texts.add(input.isTextual() ? input.asText() : input.toString());
    }
    boolean base64 = options.base64Embeddings && "base64".equals(json.path("encoding_format").asText());
    ObjectNode out = FakeJson.object();
    out.put("model", json.path("model").asText(""));
    out.put("object", "list");
    int tokens = 0;
    for (String text : texts) {
      tokens += 1 + text.split("\\s+").length;
    }
    out.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
    ArrayNode data = out.putArray("data");
    for (int i = 0; i < texts.size(); i++) {
      float[] vector = FakeJson.embedding(texts.get(i), options.embeddingDimensions);
      ObjectNode item = data.addObject();
      if (base64) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : vector) {
          bytes.putFloat(f);
        }
        item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
      } else {
        ArrayNode values = item.putArray("embedding");
        for (float f : vector) {
          values.add(f);
        }
      }
      item.put("index", i).put("object", "embedding");
      if (base64) {
        item.put("encoding_format", "base64");
      }
    }
    ok(request, FakeJson.write(out));
  }

  private String modelsBody() {
    String alias = options.alias;
    return "{\"models\":[{\"name\":\"" + alias + "\",\"model\":\"" + alias + "\",\"modified_at\":\"\",\"size\":\"\","
        + "\"digest\":\"\",\"type\":\"model\",\"description\":\"\",\"tags\":[\"\"],\"capabilities\":[\"completion\"],"
        + "\"parameters\":\"\",\"details\":{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":\"\",\"families\":[\"\"],"
        + "\"parameter_size\":\"\",\"quantization_level\":\"\"}}],\"object\":\"list\",\"data\":[{\"id\":\"" + alias
        + "\",\"aliases\":[\"" + alias + "\"],\"tags\":[],\"object\":\"model\",\"created\":"
        + System.currentTimeMillis() / 1000 + ",\"owned_by\":\"llamacpp\",\"meta\":{\"vocab_type\":1,\"n_vocab\":32000,"
        + "\"n_ctx\":" + options.contextPerSlot + ",\"n_ctx_train\":2048,\"n_embd\":64,\"n_params\":4178240,"
        + "\"size\":8357120,\"ftype\":\"F16\"}}]}";
  }

  private void props(HttpServerRequest request) {
    if (options.propsDelayMillis > 0) {
      vertx.setTimer(options.propsDelayMillis, id -> ok(request, propsBody()));
    } else {
      ok(request, propsBody());
    }
  }

  private String propsBody() {
    return "{\"default_generation_settings\":{\"n_ctx\":" + options.contextPerSlot + "},\"total_slots\":" + options.slots
        + ",\"model_alias\":\"" + options.alias + "\",\"model_path\":\"" + options.alias + "\",\"build_info\":\""
        + BUILD + "\",\"is_sleeping\":false}";
  }

  private void slots(HttpServerRequest request) {
    if ("1".equals(request.getParam("fail_on_no_slot")) && busySlots >= options.slots) {
      error(request, 503, "{\"error\":{\"code\":503,\"message\":\"no slot available\",\"type\":\"unavailable_error\"}}");
      return;
    }
    StringBuilder body = new StringBuilder("[");
    for (int i = 0; i < options.slots; i++) {
      body.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"n_ctx\":").append(options.contextPerSlot)
          .append(",\"speculative\":false,\"is_processing\":").append(i < busySlots).append('}');
    }
    ok(request, body.append(']').toString());
  }

  private static Buffer event(Object json) {
    String text = json instanceof String s ? s : FakeJson.write((JsonNode) json);
    return Buffer.buffer("data: " + text + "\n\n");
  }

  /**
   * llama-server's {@code /metrics}: Prometheus text, unlabelled {@code llamacpp:} series, with
   * {@code --metrics}; otherwise 501 (shared/transcripts/llama-server/metrics-disabled.txt).
   */
  private void metrics(HttpServerRequest request) {
    if (!options.metrics) {
      error(request, 501, "{\"error\":{\"code\":501,\"message\":\"This server does not support metrics endpoint. "
          + "Start it with `--metrics`\",\"type\":\"not_supported_error\"}}");
      return;
    }
    StringBuilder text = new StringBuilder();
    metric(text, "prompt_tokens_total", "counter", "Number of prompt tokens processed.", promptTokensTotal);
    metric(text, "prompt_seconds_total", "counter", "Prompt process time", promptTokensTotal * 0.001);
    metric(text, "tokens_predicted_total", "counter", "Number of generation tokens processed.", predictedTokensTotal);
    metric(text, "tokens_predicted_seconds_total", "counter", "Predict process time", predictedTokensTotal * 0.00025);
    metric(text, "n_decode_total", "counter", "Total number of llama_decode() calls", predictedTokensTotal);
    metric(text, "n_busy_slots_per_decode", "counter", "Average number of busy slots per llama_decode() call",
        busySlots);
    metric(text, "prompt_tokens_seconds", "gauge", "Average prompt throughput in tokens/s.", 1000);
    metric(text, "predicted_tokens_seconds", "gauge", "Average generation throughput in tokens/s.", 4000);
    metric(text, "requests_processing", "gauge", "Number of requests processing.", busySlots);
    metric(text, "requests_deferred", "gauge", "Number of requests deferred.", deferred.size());
    HttpServerResponse response = request.response();
    response.headers().add("Server", "llama.cpp").add("Access-Control-Allow-Origin", "")
        .add("Content-Type", "text/plain; version=0.0.4").add("Keep-Alive", "timeout=5, max=100");
    response.end(text.toString());
  }

  private static void metric(StringBuilder text, String name, String type, String help, double value) {
    String full = "llamacpp:" + name;
    text.append("# HELP ").append(full).append(' ').append(help).append('\n')
        .append("# TYPE ").append(full).append(' ').append(type).append('\n')
        .append(full).append(' ').append(value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value))
        .append('\n');
  }

  private static void ok(HttpServerRequest request, String body) {
    HttpServerResponse response = request.response();
    MultiMap headers = response.headers();
    headers.add("Server", "llama.cpp");
    headers.add("Access-Control-Allow-Origin", "");
    headers.add("Content-Type", "application/json; charset=utf-8");
    headers.add("Keep-Alive", "timeout=5, max=100");
    response.end(body);
  }

  private static void error(HttpServerRequest request, int status, String body) {
    HttpServerResponse response = request.response();
    response.setStatusCode(status);
    MultiMap headers = response.headers();
    headers.add("Server", "llama.cpp");
    headers.add("Access-Control-Allow-Origin", "");
    headers.add("Content-Type", "application/json; charset=utf-8");
    headers.add("Connection", "close");
    response.end(body).onComplete(done -> request.connection().close());
  }

  /** How the fake behaves; every field has the transcripts' default. */
  public static final class Options {
    int port;
    String alias = "models/tiny-llama-chat.gguf";
    int slots = 2;
    int contextPerSlot = 1024;
    long tokenDelayMillis;
    long promptMillis;
    long propsDelayMillis;
    int defaultTokens = 8;
    List<String> tokens = TRANSCRIPT_TOKENS;
    boolean embeddings;
    boolean reranking;
    int embeddingDimensions = 64;
    boolean base64Embeddings = true;
    String apiKey;
    boolean startLoading;
    boolean logRequests;
    boolean metrics;

    /** Listen on this port; 0 (the default) picks a free one. */
    public Options port(int port) {
      this.port = port;
      return this;
    }

    /** The model name reported in replies, as {@code --alias} sets it (default: the model path). */
    public Options alias(String alias) {
      this.alias = alias;
      return this;
    }

    /** Number of slots ({@code --parallel}); requests beyond wait for one to free up. */
    public Options slots(int slots) {
      this.slots = slots;
      return this;
    }

    /** Context per slot; prompts estimated longer get 400 {@code exceed_context_size_error}. */
    public Options contextPerSlot(int tokens) {
      this.contextPerSlot = tokens;
      return this;
    }

    /** Time per generated token; 0 sends everything at once. */
    public Options tokenDelayMillis(long millis) {
      this.tokenDelayMillis = millis;
      return this;
    }

    /** Time spent on the prompt before anything (status line included) is sent; 0 by default. */
    public Options promptMillis(long millis) {
      this.promptMillis = millis;
      return this;
    }

    /** Time before {@code GET /props} answers: a real server answers at once, a loaded machine may not. */
    public Options propsDelayMillis(long millis) {
      this.propsDelayMillis = millis;
      return this;
    }

    /** Tokens generated when the request sets no {@code max_tokens} (finish reason {@code stop}). */
    public Options defaultTokens(int count) {
      this.defaultTokens = count;
      return this;
    }

    /** The token texts, used in turn. */
    public Options tokens(List<String> tokens) {
      this.tokens = List.copyOf(tokens);
      return this;
    }

    /** Serve {@code /v1/embeddings} ({@code --embeddings}); otherwise it answers 501. */
    public Options embeddings(boolean enabled) {
      this.embeddings = enabled;
      return this;
    }

    /** Whether it was started with {@code --reranking}: {@code /v1/rerank} answers. */
    public Options reranking(boolean enabled) {
      this.reranking = enabled;
      return this;
    }

    /** Length of the vectors {@code /v1/embeddings} returns. */
    public Options embeddingDimensions(int dimensions) {
      this.embeddingDimensions = dimensions;
      return this;
    }

    /**
     * Whether {@code encoding_format: "base64"} is honoured (true, like llama-server); false behaves
     * like OpenAI-compatible servers that ignore it and always send floats.
     */
    public Options base64Embeddings(boolean honoured) {
      this.base64Embeddings = honoured;
      return this;
    }

    /** Require this key on protected routes ({@code --api-key}). */
    public Options apiKey(String key) {
      this.apiKey = key;
      return this;
    }

    /** Serve {@code /metrics} ({@code --metrics}); without it, 501 like llama-server. */
    public Options metrics(boolean enabled) {
      this.metrics = enabled;
      return this;
    }

    /**
     * Print llama-server's {@code srv  log_server_r: request: POST /path <client> <status>} line on
     * standard output once each POST has been answered (the executable fake does; in-process fakes stay quiet).
     */
    public Options logRequests(boolean enabled) {
      this.logRequests = enabled;
      return this;
    }

    /** Start in the loading state: 503 on every route until {@link #setLoading(boolean)}. */
    public Options startLoading(boolean loading) {
      this.startLoading = loading;
      return this;
    }
  }
}
