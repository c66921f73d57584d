package dev.magi.gateway.tracing;

import dev.magi.proxy.TraceContext;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.concurrent.TimeUnit;

/**
 * The spans of one request: its server span, and the client span of the hop to a backend now under
 * way. Confined to the request's event loop, like the request's record, which calls it.
 */
public final class RequestSpans {

  private static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("magi.request_id");
  private static final AttributeKey<String> MODEL = AttributeKey.stringKey("gen_ai.request.model");
  private static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
  private static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
  private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> BACKEND = AttributeKey.stringKey("server.address");
  private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("magi.attempt");
  private static final AttributeKey<Double> FIRST_TOKEN = AttributeKey.doubleKey("magi.time_to_first_token_ms");
  private static final AttributeKey<String> ERROR = AttributeKey.stringKey("error.type");

  private final Tracer tracer;
  private final Span server;
  private final TraceContext carried;
  private Span hop;

  RequestSpans(Tracer tracer, Span server, TraceContext carried) {
    this.tracer = tracer;
    this.server = server;
    this.carried = carried;
  }

  /** The context the proxy carries to backends: this trace, each hop's span id named by {@link #sent}. */
  public TraceContext carried() {
    return carried;
  }

  /** A hop to {@code backend} begins now: the previous one, if any, ended without the answer. */
  public void sent(String backend, int attempt) {
    if (hop != null) {
      hop.setStatus(StatusCode.ERROR, "tried another backend");
      hop.end();
    }
    hop = tracer.spanBuilder("POST " + backend).setParent(Context.root().with(server)).setSpanKind(SpanKind.CLIENT)
        .setAttribute(BACKEND, backend).setAttribute(ATTEMPT, (long) attempt).startSpan();
    carried.nextHop(hop.getSpanContext().getSpanId());
  }

  /**
   * The request ended: both spans end with what is known of it.
   *
   * @param model the model asked for, null when never read
   * @param firstTokenMillis from arrival to the first event, negative when none came
   * @param promptTokens negative when the answer said nothing of its tokens
   * @param error the error code it ended with, null when it did not
   */
  public void end(String requestId, String model, int status, double firstTokenMillis, long promptTokens,
      long completionTokens, String error) {
    server.setAttribute(REQUEST_ID, requestId).setAttribute(STATUS, (long) status);
    if (model != null) {
      server.setAttribute(MODEL, model);
    }
    if (firstTokenMillis >= 0) {
      server.setAttribute(FIRST_TOKEN, firstTokenMillis);
    }
    if (promptTokens >= 0) {
      server.setAttribute(INPUT_TOKENS, promptTokens).setAttribute(OUTPUT_TOKENS, completionTokens);
    }
    if (error != null) {
      server.setAttribute(ERROR, error);
      if (status >= 500 || status < 400) {
        server.setStatus(StatusCode.ERROR, error);
      }
    }
    long now = RequestTracer.epochNanos(System.nanoTime());
    if (hop != null) {
      if (error != null) {
        hop.setStatus(StatusCode.ERROR, error);
      }
      hop.end(now, TimeUnit.NANOSECONDS);
    }
    server.end(now, TimeUnit.NANOSECONDS);
  }
}
