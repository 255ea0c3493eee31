package dev.smg.router.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.smg.router.metrics.RouterMetrics;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.RoundRobinPolicy;
import dev.smg.router.policy.RoutingRequest;
import dev.smg.router.retry.RetrySettings;
import dev.smg.router.stream.StreamFailoverSettings;
import dev.smg.router.trace.RequestTrace;
import dev.smg.router.trace.TraceAttributes;
import dev.smg.router.trace.Tracing;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spans of proxied requests, exported to the SDK's in-memory exporter, against scripted workers
 * on loopback that record the {@code traceparent} they are sent: one trace from the client's span
 * through the router's steps to each worker.
 */
class RequestTracingTest {
    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final String CLIENT_PARENT = "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01";

    private final List<HttpServer> servers = new ArrayList<>();
    /** traceparent each worker (by port) was last sent. */
    private final Map<Integer, String> received = new ConcurrentHashMap<>();
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    private Dispatcher dispatcher;

    @AfterEach
    void stop() {
        if (dispatcher != null) {
            dispatcher.close();
        }
        servers.forEach(s -> s.stop(0));
        sdk.close();
    }

    /** A worker answering every request with {@code status} and {@code body} of {@code type}. */
    private WorkerUrl worker(int status, String type, String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", (HttpExchange ex) -> {
            ex.getRequestBody().readAllBytes();
            received.put(server.getAddress().getPort(), String.valueOf(ex.getRequestHeaders().getFirst("traceparent")));
            ex.getResponseHeaders().add("Content-Type", type);
            ex.sendResponseHeaders(status, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body.getBytes(StandardCharsets.UTF_8));
            }
        });
        server.start();
        servers.add(server);
        return WorkerUrl.parse("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static final class Capture implements ClientReply {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        int status;
        GatewayError error;

        @Override
        public void error(GatewayError e) {
            error = e;
        }

        @Override
        public void complete(int status, List<HeaderField> headers, byte[] bytes) {
            this.status = status;
            body.writeBytes(bytes);
        }

        @Override
        public OutputStream stream(int status, List<HeaderField> headers) {
            this.status = status;
            return body;
        }
    }

    /** Sends one request the way ProxyHandler does: the client's traceparent among its headers. */
    private Dispatcher.Outcome send(Tracing tracing, String body, WorkerUrl... urls) {
        WorkerRegistry registry = new WorkerRegistry();
        for (WorkerUrl url : urls) {
            Worker w = registry.add(WorkerSpec.of(url));
            w.activate(List.of());
        }
        PrometheusRegistry prometheus = new PrometheusRegistry();
        dispatcher = new Dispatcher(registry, PolicyRegistry.of(new RoundRobinPolicy()),
                new UpstreamClient(Duration.ofSeconds(5), Duration.ofSeconds(30)),
                new RetrySettings(3, Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 0.0),
                new RouterMetrics(prometheus, registry::snapshot), StreamFailoverSettings.DEFAULTS, null);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        InferenceRequest request = InferenceRequest.parse(bytes);
        List<HeaderField> headers = List.of(new HeaderField("traceparent", CLIENT_PARENT));
        RequestTrace trace = tracing.request("POST", "/v1/chat/completions", "rid-1",
                name -> name.equals("traceparent") ? CLIENT_PARENT : null);
        Dispatcher.Outcome outcome = dispatcher.dispatch(new ProxyCall(InferenceRoute.CHAT, request, bytes, headers,
                "rid-1", new RoutingRequest("m", Optional.empty(), request.promptText()), trace), new Capture());
        trace.end(outcome.status(), outcome.errorCode(), outcome.attempts());
        return outcome;
    }

    private List<SpanData> named(String name) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
    }

    private static int port(WorkerUrl url) {
        return url.port();
    }

    private static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void aRetriedRequestIsOneTraceFromTheClientsSpanToEachWorker() throws IOException {
        WorkerUrl failing = worker(503, "application/json", "{\"error\":\"busy\"}");
        WorkerUrl healthy = worker(200, "application/json", "{\"id\":\"x\",\"choices\":[]}");
        // Round robin from the first: the failing worker, then the healthy one.
        Dispatcher.Outcome outcome = send(Tracing.with(sdk, "router-a"), CHAT, failing, healthy);
        assertEquals(200, outcome.status());

        SpanData request = named("POST /v1/chat/completions").get(0);
        assertEquals(SpanKind.SERVER, request.getKind());
        assertEquals(CLIENT_TRACE, request.getTraceId(), "the client's trace goes on");
        assertEquals(CLIENT_SPAN, request.getParentSpanId());
        assertEquals(200L, request.getAttributes().get(TraceAttributes.HTTP_STATUS));
        assertEquals(2L, request.getAttributes().get(TraceAttributes.ATTEMPTS));

        List<SpanData> selections = named("select_worker");
        assertEquals(2, selections.size());
        for (SpanData selection : selections) {
            assertEquals(request.getSpanId(), selection.getParentSpanId());
            assertEquals("round_robin", selection.getAttributes().get(TraceAttributes.POLICY));
        }
        assertEquals(failing.toString(), selections.get(0).getAttributes().get(TraceAttributes.WORKER));
        assertEquals(healthy.toString(), selections.get(1).getAttributes().get(TraceAttributes.WORKER));

        List<SpanData> attempts = named("upstream_attempt");
        assertEquals(2, attempts.size());
        SpanData first = attempts.get(0);
        SpanData retry = attempts.get(1);
        assertEquals(SpanKind.CLIENT, first.getKind());
        assertEquals(request.getSpanId(), first.getParentSpanId());
        assertEquals(false, first.getAttributes().get(TraceAttributes.RETRY));
        assertEquals(503L, first.getAttributes().get(TraceAttributes.HTTP_STATUS));
        assertEquals(StatusCode.ERROR, first.getStatus().getStatusCode());
        assertEquals("closed", first.getAttributes().get(TraceAttributes.BREAKER_STATE));
        assertEquals(true, retry.getAttributes().get(TraceAttributes.RETRY));
        assertEquals(2L, retry.getAttributes().get(TraceAttributes.ATTEMPT));
        assertEquals(200L, retry.getAttributes().get(TraceAttributes.HTTP_STATUS));
        assertEquals(StatusCode.UNSET, retry.getStatus().getStatusCode());
        // Each worker was sent its own attempt's context, in the client's trace.
        assertEquals("00-" + CLIENT_TRACE + "-" + first.getSpanId() + "-01", received.get(port(failing)));
        assertEquals("00-" + CLIENT_TRACE + "-" + retry.getSpanId() + "-01", received.get(port(healthy)));
    }

    @Test
    void untracedRequestsForwardTheClientsTraceparentAsItCame() throws IOException {
        WorkerUrl healthy = worker(200, "application/json", "{\"id\":\"x\",\"choices\":[]}");
        assertEquals(200, send(Tracing.OFF, CHAT, healthy).status());
        assertEquals(CLIENT_PARENT, received.get(port(healthy)));
        assertTrue(spans.getFinishedSpanItems().isEmpty());
    }

    private static String chunk(String id, String content, String finish) {
        return "data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
    }

    @Test
    void aStreamMovedToAnotherWorkerShowsItsMigrationAndTheContinuationUnderIt() throws IOException {
        // The first worker stops after two tokens without finishing; the second finishes the answer.
        WorkerUrl breaking = worker(200, "text/event-stream", chunk("A", "one", null) + chunk("A", " two", null));
        WorkerUrl finishing = worker(200, "text/event-stream", chunk("B", " three", "stop") + "data: [DONE]\n\n");
        String body = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":10,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        Dispatcher.Outcome outcome = send(Tracing.with(sdk, "router-a"), body, breaking, finishing);
        assertEquals("", outcome.errorCode());

        SpanData request = named("POST /v1/chat/completions").get(0);
        List<SpanData> migrations = named("stream_migration");
        assertEquals(1, migrations.size());
        SpanData migration = migrations.get(0);
        assertEquals(request.getSpanId(), migration.getParentSpanId());
        assertEquals(breaking.toString(), migration.getAttributes().get(TraceAttributes.FROM_WORKER));
        assertEquals(finishing.toString(), migration.getAttributes().get(TraceAttributes.WORKER));
        assertEquals("broken", migration.getAttributes().get(TraceAttributes.BREAK_REASON));
        assertEquals(2L, migration.getAttributes().get(TraceAttributes.TOKENS_RELAYED));

        List<SpanData> attempts = named("upstream_attempt");
        assertEquals(2, attempts.size());
        SpanData broken = attempts.stream().filter(s -> s.getParentSpanId().equals(request.getSpanId()))
                .findFirst().orElseThrow();
        assertEquals(StatusCode.ERROR, broken.getStatus().getStatusCode());
        assertEquals("broken", broken.getAttributes().get(TraceAttributes.BREAK_REASON));
        SpanData continuation = attempts.stream().filter(s -> s.getParentSpanId().equals(migration.getSpanId()))
                .findFirst().orElseThrow();
        assertEquals(finishing.toString(), continuation.getAttributes().get(TraceAttributes.WORKER));
        assertEquals(StatusCode.UNSET, continuation.getStatus().getStatusCode());
        assertEquals("00-" + CLIENT_TRACE + "-" + continuation.getSpanId() + "-01", received.get(port(finishing)));
        assertFalse(named("select_worker").stream().noneMatch(s -> s.getParentSpanId().equals(migration.getSpanId())),
                "the continuation's worker selection is part of the migration");
        assertNull(request.getAttributes().get(TraceAttributes.ERROR_CODE));
    }
}
