package dev.magi.gateway;

import dev.magi.gateway.metrics.RequestMeters;
import dev.magi.proxy.ExchangeObserver;
import dev.magi.proxy.api.ApiException;
import dev.magi.router.AdmissionException;
import dev.magi.router.Backend;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * What happened to one client request, gathered while it runs and handed over once when its response
 * ends or its connection closes: to the metrics ({@link RequestMeters}) for a request to a model, and
 * to the access log when the request is sampled or failed. It hears the proxy's hooks
 * ({@link ExchangeObserver}); it keeps what the line and the meters need, not the request: the request
 * a router hands out is a wrapper that holds the whole routing context (body included), which a held
 * stream would otherwise keep for its whole life.
 *
 * <p>Confined to the request's event loop.
 */
final class RequestRecord implements Handler<Void>, ExchangeObserver, RequestMeters.Facts {

  /** The model label of a request whose model is unknown, or was never read (a request refused first). */
  static final String UNKNOWN_MODEL = "unknown";

  private final AccessLog.Sampler sampler;
  private final RequestMeters meters;
  private final HttpServerResponse response;
  private final HttpConnection connection;
  private final HttpMethod method;
  private final String path;
  private final String requestId;
  private final boolean sampled;
  private final long startNanos = System.nanoTime();
  /** The proxied endpoint (its route's path), null for requests the proxy does not serve. */
  private String endpoint;
  /** The model the client asked for, as it spelled it. */
  private String model;
  /** The model's id as served, null until the proxy routes the request. */
  private String modelId;
  /** The endpoint of the last backend tried; null until one is. */
  private String backend;
  private int attempts;
  private boolean forwarded;
  private long bodyReadNanos;
  private long waitedNanos;
  private long firstSentNanos;
  /** When the attempt now under way was sent. */
  private long lastSentNanos;
  /** When the first event (a whole answer's head) arrived; 0 until then. */
  private long firstEventNanos;
  private long lastEventNanos;
  private long relaySpentNanos;
  private long promptTokens = -1;
  private long completionTokens = -1;
  private boolean streamed;
  /** Why the model's queue refused the request, null when it did not. */
  private String refusal;
  /** Why the request ended without its answer (an error code); null when it did not. */
  private String error;
  /** What the client was told of it; null when nothing. */
  private String errorMessage;
  /** The named key the request presented ({@code auth.keys}), null for any other; and where its tokens count. */
  private dev.magi.gateway.config.MagiConfig.ClientKey clientKey;
  private KeyLimits limits;
  /** Where a request to a model is kept for the operator's views ({@code /api/requests}, {@code /api/stats}). */
  private RequestViews views;
  /** The first bytes of the client's body, when the operator's views keep bodies; else null. */
  private byte[] body;
  private int bodyBytes;
  /** When it began, on the wall clock. */
  private final long startMillis = System.currentTimeMillis();
  /** The request's spans when tracing is on, else null. */
  private dev.magi.gateway.tracing.RequestSpans spans;

  /**
   * Starts following {@code request}; the record hands itself over when its response ends.
   *
   * @param sampler the access log's sampler of this event loop; null when the log is off
   * @param meters where a model request is measured; null when metrics are off
   * @param endpoint the proxied route the request is for, null when it is for none
   */
  static RequestRecord begin(HttpServerRequest request, String requestId, AccessLog.Sampler sampler,
      RequestMeters meters, String endpoint, RequestViews views) {
    RequestRecord record = new RequestRecord(request, requestId, sampler, meters, endpoint);
    record.views = views;
    record.response.endHandler(record);
    return record;
  }

  private RequestRecord(HttpServerRequest request, String requestId, AccessLog.Sampler sampler, RequestMeters meters,
      String endpoint) {
    this.sampler = sampler;
    this.meters = meters;
    this.sampled = sampler != null && sampler.sample();
    this.response = request.response();
    this.connection = request.connection();
    this.method = request.method();
    this.path = request.path();
    this.requestId = requestId;
    this.endpoint = endpoint;
  }

  /**
   * The body the client sent, kept (its first {@link RecentRequests#MAX_BODY_BYTES}) for the operator's
   * views when {@code console.capture_bodies} is on; nothing otherwise.
   */
  void captureBody(io.vertx.core.buffer.Buffer sent) {
    if (views != null && sent != null && views.recent().capturesBodies()) {
      bodyBytes = sent.length();
      body = sent.getBytes(0, Math.min(sent.length(), RecentRequests.MAX_BODY_BYTES));
    }
  }

  String requestId() {
    return requestId;
  }

  /** Traces the request in {@code spans} from now on. */
  void spans(dev.magi.gateway.tracing.RequestSpans traced) {
    spans = traced;
  }

  /** Notes the named key the request presented (null for any other), whose tokens {@code limits} counts. */
  void clientKey(dev.magi.gateway.config.MagiConfig.ClientKey key, KeyLimits keyLimits) {
    clientKey = key;
    limits = keyLimits;
  }

  /** The named key the request presented; null for any other. */
  dev.magi.gateway.config.MagiConfig.ClientKey clientKey() {
    return clientKey;
  }

  /** Notes the proxied endpoint a request reached through the router. */
  void endpoint(String route) {
    endpoint = route;
  }

  /** Notes that the body has been read and the model the request asked for. */
  void bodyRead(String askedFor) {
    bodyReadNanos = System.nanoTime();
    model = askedFor;
  }

  @Override
  public void routed(String id) {
    modelId = id;
  }

  @Override
  public void waited(long nanos) {
    waitedNanos += nanos;
  }

  @Override
  public void refused(AdmissionException.Reason reason) {
    refusal = reason.name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public void sent(Backend tried, int attempt, long atNanos) {
    backend = tried.endpoint().name();
    forwarded = tried.endpoint().type() == dev.magi.router.BackendType.MAGI;
    attempts = attempt;
    if (firstSentNanos == 0) {
      firstSentNanos = atNanos;
    }
    lastSentNanos = atNanos;
    if (spans != null) {
      spans.sent(backend, attempt);
    }
  }

  @Override
  public void firstEvent(Backend from, long nanos) {
    // nanos counts from this attempt's sending: the last attempt is the one that answered.
    firstEventNanos = lastSentNanos + nanos;
    lastEventNanos = firstEventNanos;
  }

  @Override
  public void relayed(int bytes, long arrivedNanos, long spentNanos) {
    streamed = true;
    lastEventNanos = arrivedNanos;
    relaySpentNanos += spentNanos;
  }

  @Override
  public void usage(long prompt, long completion) {
    promptTokens = prompt;
    completionTokens = completion;
  }

  @Override
  public void failed(String code, String message) {
    error = code;
    errorMessage = message;
  }

  /** Notes the error the gateway answered with (a refusal before or instead of the proxy). */
  void answeredWith(ApiException answer) {
    error = answer.code();
    errorMessage = answer.getMessage();
  }

  @Override
  public void handle(Void ended) {
    long now = System.nanoTime();
    boolean cut = !response.ended();
    if (clientKey != null && promptTokens >= 0) {
      limits.tokens(clientKey, promptTokens + Math.max(0, completionTokens));
    }
    if (meters != null && endpoint != null) {
      meters.record(this, now);
    }
    if (views != null && endpoint != null) {
      double ttft = firstEventNanos == 0 ? -1 : tenths(firstEventNanos - startNanos);
      double duration = tenths(now - startNanos);
      if (views.recent().enabled()) {
        views.recent().add(new RecentRequests.Entry(startMillis, requestId, endpoint, model,
            cut ? -1 : response.getStatusCode(), backend, attempts, ttft, duration, promptTokens, completionTokens, error,
            clientKey == null ? null : clientKey.name(), body, bodyBytes));
      }
      long gateway = gatewayNanos();
      views.stats().add(modelId != null ? modelId : model, cut || response.getStatusCode() >= 500, ttft, duration,
          completionTokens, gateway < 0 ? -1 : gateway / 1e6);
    }
    if (spans != null) {
      spans.end(requestId, model, response.getStatusCode(), firstEventNanos == 0 ? -1 : (firstEventNanos - startNanos) / 1e6,
          promptTokens, completionTokens, error);
    }
    if (sampler == null) {
      return;
    }
    int status = response.getStatusCode();
    boolean failed = cut || status >= 500;
    // A refusal (4xx) is sampled like a success, but the first of each reason in a minute is logged
    // with its message, so that whoever meets it first sees why.
    boolean firstRefusal = status >= 400 && status < 500 && error != null && sampler.firstOfReason(error, now);
    if (sampled || firstRefusal || failed && sampler.admitFailure(now)) {
      sampler.write(line(now, cut, failed));
    }
  }

  private String line(long now, boolean cut, boolean failed) {
    StringBuilder line = new StringBuilder(220)
        .append("request_id=").append(requestId)
        .append(" method=").append(method.name())
        .append(" path=").append(AccessLog.field(path))
        .append(" status=").append(response.getStatusCode());
    if (model != null) {
      line.append(" model=").append(AccessLog.field(model));
    }
    if (backend != null) {
      line.append(" backend=").append(AccessLog.field(backend));
      if (attempts > 1) {
        line.append(" attempts=").append(attempts);
      }
    }
    if (firstEventNanos != 0) {
      line.append(" ttft_ms=").append(tenths(firstEventNanos - startNanos));
    }
    line.append(" ms=").append(tenths(now - startNanos));
    if (promptTokens >= 0) {
      line.append(" prompt_tokens=").append(promptTokens).append(" completion_tokens=").append(completionTokens);
    }
    line.append(" bytes=").append(response.bytesWritten())
        .append(" client=").append(client());
    if (cut) {
      line.append(" outcome=cut");
    }
    if (error != null) {
      line.append(" error=").append(AccessLog.field(error));
      if (errorMessage != null) {
        line.append(" message=").append(AccessLog.quoted(errorMessage));
      }
    }
    if (failed) {
      sampler.appendFailuresNotLogged(line);
    }
    return line.toString();
  }

  private static double tenths(long nanos) {
    return Math.round(nanos / 100_000.0) / 10.0;
  }

  private String client() {
    io.vertx.core.net.SocketAddress remote = connection.remoteAddress();
    return remote == null || remote.hostAddress() == null ? "-" : remote.hostAddress();
  }

  // What the meters read (RequestMeters.Facts).

  @Override
  public String endpoint() {
    return endpoint;
  }

  @Override
  public String model() {
    return modelId == null ? UNKNOWN_MODEL : modelId;
  }

  @Override
  public String status() {
    return response.headWritten() ? Integer.toString(response.getStatusCode()) : "cut";
  }

  @Override
  public String backend() {
    return backend == null ? "none" : backend;
  }

  @Override
  public boolean forwarded() {
    return forwarded;
  }

  @Override
  public long startNanos() {
    return startNanos;
  }

  @Override
  public int attempts() {
    return attempts;
  }

  @Override
  public long firstEventNanos() {
    return firstEventNanos;
  }

  @Override
  public long lastEventNanos() {
    return lastEventNanos;
  }

  @Override
  public boolean streamed() {
    return streamed;
  }

  @Override
  public long gatewayNanos() {
    if (firstSentNanos == 0 || bodyReadNanos == 0) {
      return -1;
    }
    return Math.max(0, firstSentNanos - bodyReadNanos - waitedNanos) + relaySpentNanos;
  }

  @Override
  public long waitedNanos() {
    return firstSentNanos == 0 ? -1 : waitedNanos;
  }

  @Override
  public String refusal() {
    return refusal;
  }

  @Override
  public long promptTokens() {
    return promptTokens;
  }

  @Override
  public long completionTokens() {
    return completionTokens;
  }
}
