package dev.magi.gateway.tracing;

import dev.magi.gateway.config.MagiConfig;
import dev.magi.proxy.TraceContext;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Spans of requests to models, made with the OpenTelemetry SDK and exported over OTLP/HTTP
 * ({@code tracing.otlp_endpoint}) in batches, from the SDK's own thread: one server span per request
 * (its client's span as parent when it sent a {@code traceparent}), and one client span per hop to a
 * backend, whose id is the one the backend receives in its {@code traceparent}. Off unless an
 * endpoint is configured; then nothing is made at all.
 *
 * <p>The SDK is used directly rather than through vertx-opentelemetry: that module traces through
 * Vert.x's HTTP server and client, and the proxy writes to backends on its own Netty client, so it
 * would see the client's request but never the hop; the spans here come from the proxy's hooks.
 */
public final class RequestTracer implements AutoCloseable {

  /** How long the SDK gathers spans before it sends them. */
  static final Duration EXPORT_DELAY = Duration.ofSeconds(1);

  private final SdkTracerProvider provider;
  private final Tracer tracer;

  private RequestTracer(SdkTracerProvider provider) {
    this.provider = provider;
    this.tracer = provider.get("dev.magi.gateway");
  }

  /** A tracer for {@code config}, or empty when no OTLP endpoint is configured. */
  public static Optional<RequestTracer> of(MagiConfig.Tracing config) {
    return config.otlpEndpoint().map(endpoint -> {
      String base = endpoint.toString().replaceAll("/+$", "");
      String traces = base.endsWith("/v1/traces") ? base : base + "/v1/traces";
      OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(traces)
          .setTimeout(Duration.ofSeconds(10)).build();
      SdkTracerProvider provider = SdkTracerProvider.builder()
          .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
              AttributeKey.stringKey("service.name"), config.serviceName()))))
          .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
          .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(EXPORT_DELAY).build())
          .build();
      return new RequestTracer(provider);
    });
  }

  /**
   * Begins the server span of a request that arrived at {@code startNanos} ({@link System#nanoTime()}).
   *
   * @param incoming the client's trace context, null when it sent none
   * @param name the span's name, such as {@code POST /v1/chat/completions}
   */
  public RequestSpans begin(TraceContext incoming, String name, long startNanos) {
    Context parent = Context.root();
    if (incoming != null && incoming.parentSpanId() != null) {
      TraceState state = TraceState.getDefault();
      SpanContext remote = SpanContext.createFromRemoteParent(incoming.traceId(), incoming.parentSpanId(),
          incoming.sampled() ? TraceFlags.getSampled() : TraceFlags.getDefault(), state);
      parent = Context.root().with(Span.wrap(remote));
    }
    long startEpochNanos = epochNanos(startNanos);
    Span server = tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.SERVER)
        .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS).startSpan();
    SpanContext own = server.getSpanContext();
    TraceContext carried = TraceContext.of(own.getTraceId(), own.isSampled(),
        incoming == null ? null : incoming.state());
    return new RequestSpans(tracer, server, carried);
  }

  /** The wall-clock time, in nanoseconds since the epoch, of a {@link System#nanoTime()} reading. */
  static long epochNanos(long nanoTime) {
    java.time.Instant now = java.time.Instant.now();
    long nowEpoch = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    return nowEpoch - (System.nanoTime() - nanoTime);
  }

  /** Sends what is gathered and stops (within 10 s). */
  @Override
  public void close() {
    provider.shutdown().join(10, TimeUnit.SECONDS);
  }
}
