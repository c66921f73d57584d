package dev.magi.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.gateway.config.ConfigException;
import dev.magi.gateway.config.ConfigLoader;
import dev.magi.testkit.Await;
import dev.magi.testkit.FakeLlamaServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Spans exported over OTLP/HTTP to a receiver in the test: a Vert.x server that decodes the protobuf
 * the OpenTelemetry SDK sends, as a collector would.
 */
class TracingTest {

  private static final String CHAT = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
      + "\"max_tokens\":3}";

  /** What the receiver got: each span with its resource's service.name. */
  private record Received(String service, Span span) {
  }

  @Test
  void aRequestsSpansJoinTheClientsTraceAndTheBackendSeesTheHopsSpan() throws Exception {
    try (GatewayFixture magi = new GatewayFixture()) {
      LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();
      List<String> contentTypes = new CopyOnWriteArrayList<>();
      HttpServer collector = Await.result(magi.vertx.createHttpServer().requestHandler(request ->
          request.body().onSuccess(body -> {
            contentTypes.add(String.valueOf(request.getHeader("Content-Type")));
            try {
              ExportTraceServiceRequest export = ExportTraceServiceRequest.parseFrom(body.getBytes());
              for (ResourceSpans resource : export.getResourceSpansList()) {
                String service = resource.getResource().getAttributesList().stream()
                    .filter(a -> a.getKey().equals("service.name")).map(a -> a.getValue().getStringValue())
                    .findFirst().orElse("");
                for (ScopeSpans scope : resource.getScopeSpansList()) {
                  scope.getSpansList().forEach(span -> received.add(new Received(service, span)));
                }
              }
              request.response().putHeader("Content-Type", "application/x-protobuf")
                  .end(Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance().toByteArray()));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
              request.response().setStatusCode(400).end();
            }
          })).listen(0, "127.0.0.1"));
      FakeLlamaServer llama = magi.llama(new FakeLlamaServer.Options().alias("tiny"));
      magi.start("tracing: {otlp_endpoint: \"http://127.0.0.1:" + collector.actualPort() + "\", service_name: magi-test}\n"
          + Yaml.llama("tiny", llama.url()));

      String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      String clientSpan = "00f067aa0ba902b7";
      HttpResponse<String> answer = GatewayFixture.send(HttpRequest.newBuilder(URI.create(magi.url()
          + "/v1/chat/completions")).header("Content-Type", "application/json")
          .header("traceparent", "00-" + traceId + "-" + clientSpan + "-01")
          .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build());
      assertEquals(200, answer.statusCode(), answer.body());
      String hop = llama.lastRequest("/v1/chat/completions").headers().get("traceparent");
      assertTrue(hop.matches("00-" + traceId + "-[0-9a-f]{16}-01"), hop);

      Span server = null;
      Span client = null;
      String service = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while ((server == null || client == null) && System.nanoTime() < deadline) {
        Received next = received.poll(1, TimeUnit.SECONDS);
        if (next == null) {
          continue;
        }
        service = next.service();
        if (next.span().getKind() == Span.SpanKind.SPAN_KIND_SERVER) {
          server = next.span();
        } else if (next.span().getKind() == Span.SpanKind.SPAN_KIND_CLIENT) {
          client = next.span();
        }
      }
      assertNotNull(server, "the server span reached the collector");
      assertNotNull(client, "the hop's span reached the collector");
      assertEquals("magi-test", service);
      assertEquals("application/x-protobuf", contentTypes.get(0));
      assertEquals(traceId, hex(server.getTraceId().toByteArray()));
      assertEquals(clientSpan, hex(server.getParentSpanId().toByteArray()), "the client's span is the parent");
      assertEquals("POST /v1/chat/completions", server.getName());
      Map<String, String> attributes = attributes(server);
      assertEquals("tiny", attributes.get("gen_ai.request.model"));
      assertEquals("200", attributes.get("http.response.status_code"));
      assertEquals("3", attributes.get("gen_ai.usage.output_tokens"));
      assertEquals(answer.headers().firstValue("x-request-id").orElseThrow(), attributes.get("magi.request_id"));
      assertEquals(hex(server.getSpanId().toByteArray()), hex(client.getParentSpanId().toByteArray()));
      assertEquals(hop.substring(36, 52), hex(client.getSpanId().toByteArray()), "the backend got the hop's span id");
      assertEquals(llama.url().replace("http://", ""), attributes(client).get("server.address")
          .replace("http://", ""));
      assertTrue(server.getEndTimeUnixNano() >= client.getEndTimeUnixNano()
          && server.getStartTimeUnixNano() <= client.getStartTimeUnixNano(), "the hop lies within the request");

      // Without a traceparent, Magi starts the trace and the backend joins it.
      assertEquals(200, magi.post("/v1/chat/completions", CHAT).statusCode());
      String started = llama.lastRequest("/v1/chat/completions").headers().get("traceparent");
      assertTrue(started.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01") && !started.contains(traceId), started);
    }
  }

  @Test
  void theEndpointMustBeAnHttpUrlAndTheRatioAShare() {
    assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml("tracing: {otlp_endpoint: \"file:///x\"}", Map.of()));
    assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml("tracing: {sample_ratio: 2}", Map.of()));
    assertEquals("http://c:4318", ConfigLoader.fromYaml("", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"))
        .tracing().otlpEndpoint().orElseThrow().toString());
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  private static Map<String, String> attributes(Span span) {
    Map<String, String> all = new java.util.HashMap<>();
    for (KeyValue kv : span.getAttributesList()) {
      var value = kv.getValue();
      all.put(kv.getKey(), value.hasIntValue() ? Long.toString(value.getIntValue())
          : value.hasDoubleValue() ? Double.toString(value.getDoubleValue()) : value.getStringValue());
    }
    return all;
  }
}
