package dev.magi.proxy;

import dev.magi.proxy.api.ApiException;
import dev.magi.proxy.api.ApiRequest;
import dev.magi.proxy.api.ClientFace;
import dev.magi.router.AdmissionException;
import dev.magi.router.AdmissionQueue;
import dev.magi.router.Backend;
import dev.magi.router.BackendPool;
import dev.magi.router.Endpoint;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.net.ConnectException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The life of one client request on its way to a backend and back. Runs entirely on the context of
 * the client's connection, so its fields need no locks. Its parts: {@link AttemptPolicy} decides what
 * an attempt's outcome means, {@link ClientSide} writes everything the client receives (the commit on
 * the first event, coalescing, pings, errors in or out of band), and {@link ExchangeObserver} hears
 * what happens (the router's feedback, the access log).
 *
 * <ul>
 *   <li>Before anything is sent to the client, a backend that cannot be reached (or is loading, or
 *       breaks before its first event) is replaced by another replica, once.</li>
 *   <li>A stream's 200 goes out only when the first upstream event has arrived. After that, a failure
 *       becomes one {@code data: {"error":...}} event and the stream ends without {@code [DONE]}.</li>
 *   <li>The client's departure resets the upstream request at once, so the backend frees its slot.</li>
 *   <li>Each backend lease is held by an {@link Attempt}, and released exactly once, whatever ends
 *       the exchange.</li>
 * </ul>
 */
final class Exchange extends Watchdog.Watched {

  /** Largest error body read from a backend; the rest is dropped. */
  static final int MAX_ERROR_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final Watchdog watchdog;
  private final UpstreamClient client;
  private final HttpServerResponse response;
  /** Everything the client receives goes through it. */
  private final ClientSide clientSide;
  /**
   * The client's request, while a retry may still need it; null once an event or a body has gone out
   * (see {@link #forgetRequest()}).
   */
  private ApiRequest request;
  private final String model;
  private final boolean streaming;
  /** The model's pool; replaced by a newer one when the model's servers came back after a crash. */
  private BackendPool pool;
  private final ProxySettings settings;
  private final Proxy.Loader loader;
  private final String requestId;
  /** Whether other nodes of the cluster are out of bounds: the request was forwarded here by one. */
  private final boolean localOnly;
  /** The client's trace context, carried on to each backend tried; null when it sent none. */
  private final TraceContext trace;
  /** Hears what happens: the router's feedback, and whoever else listens (the access log). */
  private final ExchangeObserver observer;
  /** The API the client speaks: how its answer and its errors look. */
  private final ClientFace face;
  /** Backends this exchange has sent to, in order; at most {@link AttemptPolicy#MAX_ATTEMPTS}. */
  private List<Backend> tried = List.of();

  /** The attempt now being made, or whose answer is being relayed; null before the first. */
  private Attempt attempt;
  private AdmissionQueue.Ticket ticket;
  /** The call to the backend now being tried, or whose answer is being relayed. */
  private UpstreamCall upstream;
  private StreamTranslator translator;
  /** Bytes of a stream gathered into one answer so far ({@link ClientSide#whole()}). */
  private long gathered;
  /** The last piece of a piped body, whose end is where the answer's token counts are. */
  private Buffer lastPiece;
  private boolean finished;
  private long lastActivityNanos;
  private boolean retrying;
  private boolean recovering;

  Exchange(Vertx vertx, UpstreamClient client, HttpServerResponse response, ApiRequest request, BackendPool pool,
      ProxySettings settings, String requestId, TraceContext trace, Watchdog watchdog, ExchangeObserver observer,
      Proxy.Loader loader, boolean localOnly, ClientFace face) {
    this.face = face;
    this.localOnly = localOnly;
    this.trace = trace;
    this.vertx = vertx;
    this.watchdog = watchdog;
    this.client = client;
    this.response = response;
    this.clientSide = new ClientSide(vertx.getOrCreateContext(), response, face);
    this.request = request;
    this.model = request.model();
    this.streaming = request.stream();
    this.pool = pool;
    this.settings = settings;
    this.requestId = requestId;
    this.observer = ExchangeObserver.both(RouterFeedback.INSTANCE, observer == null ? ExchangeObserver.NONE : observer);
    this.loader = loader;
  }

  /** Sends the request to the first chosen backend. */
  void start() {
    pool.retries().requestStarted();
    observer.routed(pool.modelId());
    response.closeHandler(ignored -> clientLeft());
    // Watched from the start, streams and not: a stopping gateway finds every exchange in the watchdog.
    watchdog.watch(this);
    attempt(null);
  }

  /** The exchange is decided; the model's retry budget learns it, once. */
  private void markFinished() {
    if (finished) {
      return;
    }
    finished = true;
    unwatch();
    pool.retries().requestEnded();
    if (retrying) {
      retrying = false;
      pool.retries().retryEnded();
    }
  }

  /**
   * An attempt ended before anything reached the client: its backend learns the outcome, and the
   * exchange tries another backend or answers with {@code error}, as {@link AttemptPolicy} decides.
   */
  private void attemptEnded(AttemptPolicy.Outcome outcome, ApiException error) {
    attempt.end(outcome);
    if (finished) {
      return;
    }
    if (AttemptPolicy.after(outcome, tried.size()) == AttemptPolicy.Decision.RETRY) {
      attempt(error);
    } else {
      fail(error);
    }
  }

  /** Sends to a backend not tried yet; after the first, only within the model's retry budget. */
  private void attempt(ApiException previous) {
    if (finished) {
      return;
    }
    if (!tried.isEmpty()) {
      if (retrying || !pool.retries().tryRetry()) {
        // The budget is spent: a failing backend must not multiply the load on the others.
        fail(previous);
        return;
      }
      retrying = true;
    }
    admit(previous);
  }

  /** Asks the model's queue for a backend not tried yet. */
  private void admit(ApiException previous) {
    long askedAtNanos = System.nanoTime();
    AdmissionQueue.Ticket waiting = pool.queue().acquire(localOnly ? withOtherNodes(tried) : tried, vertx);
    ticket = waiting;
    waiting.future().onComplete(granted -> {
      ticket = null;
      observer.waited(System.nanoTime() - askedAtNanos);
      if (finished) {
        if (granted.succeeded()) {
          granted.result().release();
        }
        return;
      }
      if (granted.failed()) {
        AdmissionException failure = (AdmissionException) granted.cause();
        observer.refused(failure.reason());
        if (failure.reason() == AdmissionException.Reason.NO_BACKEND && previous != null && recover(previous)) {
          return;
        }
        fail(admissionFailure(failure, previous));
        return;
      }
      send(granted.result());
    });
  }

  /**
   * Every backend tried failed before answering and none is left: a managed model's server may have
   * just crashed, and the supervisor restarts it. Waits (once, within the model's wait) for a server
   * not tried yet to join the pool, then tries it. Nothing has reached the client yet.
   *
   * @return false when there is nothing to wait for (not a managed model, or waited once already)
   */
  private boolean recover(ApiException previous) {
    if (recovering) {
      return false;
    }
    java.util.Optional<io.vertx.core.Future<BackendPool>> back = loader.recover(model, tried);
    if (back.isEmpty()) {
      return false;
    }
    recovering = true;
    back.get().onComplete(returned -> {
      if (finished) {
        return;
      }
      if (returned.failed()) {
        fail(previous);
        return;
      }
      pool = returned.result();
      admit(previous);
    });
    return true;
  }

  private ApiException admissionFailure(AdmissionException failure, ApiException previous) {
    return switch (failure.reason()) {
      case NO_BACKEND -> previous != null ? previous : new ApiException(503, "server_error", null,
          "no_backend_available", failure.getMessage());
      case QUEUE_FULL -> busy(failure.getMessage(), 2);
      case WAIT_EXPIRED -> busy(failure.getMessage(), 1);
      case NOT_BACK_IN_TIME -> ApiException.retryable("model_unavailable", failure.getMessage());
    };
  }

  /** 429 with the headers the OpenAI SDKs honour before retrying. */
  private static ApiException busy(String message, int retryAfterSeconds) {
    return new ApiException(429, "rate_limit_error", null, "rate_limit_exceeded", message, Map.of(
        "Retry-After", Integer.toString(retryAfterSeconds), "retry-after-ms",
        Integer.toString(retryAfterSeconds * 1000)));
  }

  private void send(Backend.Lease granted) {
    Backend backend = granted.backend();
    tried = appended(tried, backend);
    attempt = new Attempt(granted, tried.size(), observer);
    BackendProtocol protocol = BackendProtocol.of(backend.endpoint().type());
    long idleTimeoutMillis = streaming ? 0 : settings.nonStreaming().toMillis();
    Endpoint endpoint = backend.endpoint();
    UpstreamCall call;
    try {
      UpstreamRequest outgoing = protocol.upstreamRequest(request, backend);
      UpstreamHeaders headers = new UpstreamHeaders()
          .add("Content-Type", "application/json")
          .add("Accept", streaming ? "text/event-stream, application/x-ndjson" : "application/json")
          .add("X-Request-Id", requestId);
      if (trace != null) {
        headers.add("traceparent", trace.childHeader());
        if (trace.state() != null) {
          headers.add("tracestate", trace.state());
        }
      }
      if (endpoint.apiKey().isPresent()) {
        headers.add("Authorization", "Bearer " + endpoint.apiKey().get());
      }
      if (endpoint.type() == dev.magi.router.BackendType.MAGI) {
        // One hop at most: the other node serves it from its own backends.
        headers.add(Proxy.FORWARDED, "1");
      }
      call = client.post(new UpstreamClient.Origin(endpoint.host(), endpoint.port(), endpoint.ssl()),
          outgoing.path(), headers, outgoing.body(), idleTimeoutMillis);
    } catch (ApiException e) {
      // The request cannot be put in this backend's terms.
      attempt.end(null);
      fail(e);
      return;
    } catch (IllegalArgumentException e) {
      // Configuration checks keep this from happening: a key or path that cannot go into a request head.
      attempt.end(null);
      fail(ApiException.badGateway("The backend for model '" + model + "' is misconfigured: " + e.getMessage() + "."));
      return;
    }
    upstream = call;
    call.response()
        .onSuccess(answer -> onResponse(protocol, answer))
        .onFailure(this::onFailureBeforeResponse);
  }

  private void onFailureBeforeResponse(Throwable failure) {
    if (finished) {
      attempt.end(null);
      return;
    }
    if (failure instanceof TimeoutException) {
      attemptEnded(AttemptPolicy.Outcome.TIMED_OUT, ApiException.timeout("The backend for model '"
          + model + "' did not answer within " + settings.nonStreaming().toSeconds() + " s."));
    } else {
      attemptEnded(AttemptPolicy.Outcome.UNREACHABLE, ApiException.badGateway("The backend for model '"
          + model + "' is unreachable (" + describe(failure) + ")."));
    }
  }

  private void onResponse(BackendProtocol protocol, UpstreamCall answer) {
    if (finished) {
      answer.reset();
      attempt.end(null);
      return;
    }
    int status = answer.statusCode();
    AttemptPolicy.Outcome outcome = AttemptPolicy.ofStatus(status);
    if (outcome != AttemptPolicy.Outcome.ANSWERED) {
      readAtMost(answer, MAX_ERROR_BYTES).onComplete(body -> {
        attemptEnded(outcome, UpstreamErrors.normalise(status,
            body.succeeded() ? body.result() : Buffer.buffer(), model));
      });
      return;
    }
    attempt.answered(streaming);
    String contentType = answer.contentType();
    ClientFace.Answer faced = face.answer(request);
    boolean streams = protocol.streams(request, contentType);
    if (faced != null && !streams) {
      answer.reset();
      attempt.end(AttemptPolicy.Outcome.BROKEN_ANSWER);
      fail(ApiException.badGateway("The backend for model '" + model + "' answered a request for a stream"
          + " without one."));
    } else if (streams) {
      StreamTranslator openAi = protocol.streamTranslator(request, tried.get(tried.size() - 1), pool.modelId());
      if (faced != null) {
        clientSide.whole(faced.whole());
      }
      relay(answer, faced == null ? openAi : new FacedStream(openAi, faced));
    } else if (protocol.translatesBody(request) || face.rewritesBody(request)) {
      ApiRequest asked = request;
      readAtMost(answer, settings.upstreamResponseBytes()).onComplete(body -> {
        if (body.failed()) {
          attempt.end(AttemptPolicy.Outcome.BROKEN_ANSWER);
          fail(ApiException.badGateway("The backend for model '" + model + "' sent a broken answer ("
              + describe(body.cause()) + ")."));
          return;
        }
        attempt.end(null);
        try {
          Buffer translated = protocol.translatesBody(asked) ? protocol.translateBody(asked, pool.modelId(),
              body.result()) : body.result();
          tellTokens(TokenCounts.inTail(translated));
          Buffer answered = face.body(asked, translated);
          clientSide.head(status, "application/json");
          markFinished();
          observer.ended();
          clientSide.end(answered);
        } catch (ApiException e) {
          fail(e);
        }
      });
    } else {
      pipe(answer, status, contentType);
    }
  }

  /** Streams a whole non-streamed body through as it arrives, without holding it. */
  private void pipe(UpstreamCall answer, int status, String contentType) {
    clientSide.head(status, contentType == null ? "application/json" : contentType);
    forgetRequest();
    clientSide.length(answer.contentLength());
    answer.handler(piece -> {
      lastPiece = piece;
      clientSide.write(piece, answer);
    });
    answer.exceptionHandler(failure -> {
      if (!finished) {
        markFinished();
        observer.failed("upstream_failed", "The backend's answer broke off before its end.");
        attempt.end(null);
        // A cut body must not look complete: drop the client connection.
        clientSide.cut();
      }
    });
    answer.endHandler(ignored -> endPipe(null));
    // A body that came whole goes out with the end in one write, head included.
    answer.lastHandler(this::endPipe);
  }

  /** The piped body ended, with {@code last} its last piece when it came with the end (else null). */
  private void endPipe(Buffer last) {
    if (finished) {
      return;
    }
    Buffer tail = last != null ? last : lastPiece;
    lastPiece = null;
    if (tail != null) {
      tellTokens(TokenCounts.inTail(tail));
    }
    markFinished();
    observer.ended();
    attempt.end(null);
    clientSide.end(last);
  }

  private void relay(UpstreamCall answer, StreamTranslator streamTranslator) {
    translator = streamTranslator;
    answer.handler(this::onPiece);
    answer.exceptionHandler(this::onStreamFailure);
    answer.endHandler(ignored -> onStreamEnd());
  }

  private void onPiece(Buffer piece) {
    if (finished) {
      return;
    }
    long arrived = System.nanoTime();
    lastActivityNanos = arrived;
    if (clientSide.whole() && (gathered += piece.length()) > settings.upstreamResponseBytes()) {
      // A stream gathered into one answer is held whole: bounded like a whole answer.
      resetUpstream();
      attempt.end(null);
      fail(ApiException.badGateway("The backend for model '" + model + "' sent an answer larger than "
          + settings.upstreamResponseBytes() + " bytes."));
      return;
    }
    Buffer out;
    try {
      out = translator.push(piece);
    } catch (IllegalStateException e) {
      onStreamFailure(e);
      return;
    }
    if (request != null && translator.sawEvent()) {
      attempt.firstEvent();
      forgetRequest();
    }
    if (!clientSide.committed()) {
      clientSide.hold(out);
      if (translator.sawEvent()) {
        int bytes = clientSide.commitStream(upstream);
        observer.relayed(bytes, arrived, System.nanoTime() - arrived);
      }
    } else if (out.length() > 0) {
      clientSide.emit(out);
      observer.relayed(out.length(), arrived, System.nanoTime() - arrived);
    }
    if (translator.complete()) {
      // The client's face has its whole answer (a stop sequence of its own): the backend's slot is freed now.
      resetUpstream();
      onStreamEnd();
    }
  }

  /**
   * Called once an event or a body has gone out, after which no retry can happen: the request's body
   * and parsed JSON need not live as long as the stream.
   */
  private void forgetRequest() {
    request = null;
    tried = List.of();
  }

  private void onStreamEnd() {
    if (finished) {
      return;
    }
    if (!clientSide.committed() && !translator.sawEvent()) {
      translator.finish();
      attemptEnded(AttemptPolicy.Outcome.ENDED_WITHOUT_EVENT, ApiException.badGateway(
          "The backend for model '" + model + "' ended the stream without sending any event."));
      return;
    }
    Buffer tail;
    try {
      tail = translator.finish();
    } catch (ApiException e) {
      // A stream gathered into one answer, which the backend ended with an error or cut short.
      attempt.end(null);
      fail(e);
      return;
    }
    if (!clientSide.committed()) {
      long now = System.nanoTime();
      observer.relayed(clientSide.commitStream(upstream), now, 0);
    }
    tellTokens(translator.tokens());
    markFinished();
    observer.ended();
    attempt.end(null);
    clientSide.endStream(tail);
  }

  private void onStreamFailure(Throwable failure) {
    if (finished) {
      return;
    }
    resetUpstream();
    if (!clientSide.committed() && !translator.sawEvent()) {
      attemptEnded(AttemptPolicy.Outcome.BROKE_BEFORE_FIRST_EVENT, ApiException.badGateway(
          "The backend for model '" + model + "' failed before its first event (" + describe(failure) + ")."));
      return;
    }
    attempt.end(AttemptPolicy.Outcome.BROKE_MID_STREAM);
    endStreamWithError("upstream_failed", "The backend for model '" + model
        + "' failed during the stream (" + describe(failure) + ").");
  }

  private void tellTokens(TokenCounts tokens) {
    if (tokens != null) {
      observer.usage(tokens.prompt(), tokens.completion());
    }
  }

  private void endStreamWithError(String code, String message) {
    markFinished();
    observer.failed(code, message);
    clientSide.failStream(code, message);
  }

  /**
   * The stream's deadlines, checked by the watchdog: no first event within {@code first_token} (an
   * HTTP 504 before a keep-alive commit, an error event after it); no event yet after
   * {@code commit_delay}, so the 200 goes out with {@code : ping} comments every {@code ping_interval};
   * silence longer than {@code between_chunks} once events flow.
   */
  @Override
  void tick(long now) {
    // A finished exchange has left the watchdog (markFinished() unwatches it). A non-streamed answer's
    // deadline is the upstream call's own; a stream's start once it has been sent.
    if (!streaming || upstream == null) {
      return;
    }
    boolean flowing = translator != null && translator.sawEvent();
    if (!flowing) {
      long sinceSent = now - attempt.sentAtNanos();
      if (sinceSent >= settings.firstToken().toNanos()) {
        firstEventTimedOut();
      } else if (!clientSide.committed() && !clientSide.whole() && sinceSent >= settings.commitDelay().toNanos()) {
        // A long prompt is being processed: commit now and keep proxies from timing the stream out.
        observer.relayed(clientSide.commitStream(upstream), now, 0);
        clientSide.ping(now);
      } else if (clientSide.committed() && now - clientSide.lastPingNanos() >= settings.pingInterval().toNanos()) {
        clientSide.ping(now);
      }
      return;
    }
    if (now - lastActivityNanos >= settings.betweenChunks().toNanos()) {
      resetUpstream();
      attempt.end(null);
      endStreamWithError("upstream_timeout", "The backend for model '" + model + "' sent nothing for "
          + settings.betweenChunks().toSeconds() + " s.");
    }
  }

  private void firstEventTimedOut() {
    // Answer first (before a keep-alive commit an HTTP 504, after it an error event), then reset:
    // a reset fails the pending send at once, and that failure must find the exchange decided.
    fail(ApiException.timeout("The backend for model '" + model + "' sent no first event within "
        + settings.firstToken().toSeconds() + " s."));
    // Ended before the reset: resetting fails a pending answer at once, which would end the attempt
    // without saying why.
    attempt.end(AttemptPolicy.Outcome.FIRST_EVENT_TIMED_OUT);
    resetUpstream();
  }

  /**
   * Resets the upstream request after silencing its handlers: a reset fires them synchronously, and
   * this exchange has already decided what happens next.
   */
  private void resetUpstream() {
    if (upstream != null) {
      upstream.handler(null).exceptionHandler(null).endHandler(null);
      upstream.reset();
    }
  }

  @Override
  boolean cut(ApiException error) {
    if (finished) {
      return false;
    }
    // Decided first: resetting the upstream call fails its pending answer at once, and that failure
    // must find the exchange over.
    if (clientSide.committed() && !streaming) {
      // A body half relayed cannot carry an error: dropping the connection tells the client it is cut.
      markFinished();
      observer.failed(error.code(), error.getMessage());
      clientSide.cut();
    } else {
      fail(error);
    }
    if (ticket != null) {
      ticket.cancel();
    }
    resetUpstream();
    if (attempt != null) {
      attempt.end(null);
    }
    return true;
  }

  private void clientLeft() {
    if (finished) {
      return;
    }
    markFinished();
    observer.failed("client_closed", null);
    clientSide.drop();
    if (ticket != null) {
      ticket.cancel();
    }
    resetUpstream();
    if (attempt != null) {
      attempt.end(null);
    }
  }

  /** Answers with {@code error}: an HTTP error before anything was sent, an error event after. */
  private void fail(ApiException error) {
    if (finished) {
      return;
    }
    markFinished();
    observer.failed(error.code(), error.getMessage());
    clientSide.fail(error);
  }

  /** {@code tried} and every other node of the cluster in the pool. */
  private List<Backend> withOtherNodes(List<Backend> tried) {
    List<Backend> excluded = new java.util.ArrayList<>(tried);
    pool.backends().stream().filter(b -> b.endpoint().type() == dev.magi.router.BackendType.MAGI)
        .forEach(excluded::add);
    return excluded;
  }

  private static List<Backend> appended(List<Backend> list, Backend added) {
    Backend[] all = list.toArray(new Backend[list.size() + 1]);
    all[list.size()] = added;
    return List.of(all);
  }

  private static Future<Buffer> readAtMost(UpstreamCall answer, long max) {
    Promise<Buffer> result = Promise.promise();
    Buffer body = Buffer.buffer();
    answer.handler(piece -> {
      if (body.length() + piece.length() > max) {
        answer.reset();
        result.tryFail(new IllegalStateException("answer larger than " + max + " bytes"));
      } else {
        body.appendBuffer(piece);
      }
    });
    answer.exceptionHandler(result::tryFail);
    answer.endHandler(ignored -> result.tryComplete(body));
    return result.future();
  }

  private static String describe(Throwable failure) {
    if (failure instanceof ConnectException) {
      return "connection refused";
    }
    String message = failure.getMessage();
    return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
  }
}
