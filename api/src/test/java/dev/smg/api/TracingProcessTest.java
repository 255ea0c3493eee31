package dev.smg.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.smg.api.testing.Closer;
import dev.smg.api.testing.MeshRouter;
import dev.smg.api.testing.HaStatus;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.PrometheusText;
import dev.smg.api.testing.SmgProcess;
import dev.smg.api.testing.TraceServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16, point 2, end to end: two mesh routers (separate JVMs) with {@code --enable-trace} export
 * through the SDK's Zipkin exporter, configured by the standard {@code OTEL_*} variables, to a real
 * Zipkin server (its jar from Maven Central, its own JVM); the test reads the traces back from
 * Zipkin's API. A request that came with a {@code traceparent} is one trace: the client's span, the
 * router's request span, admission, worker selection and the upstream attempt, whose context the
 * worker received. A second request for the same prompt through the other router is steered by the
 * tree entry the first router's request made, and its selection span names that router.
 */
class TracingProcessTest {
    private static final Duration FORM = Duration.ofSeconds(90);
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final String PROMPT = "You are a tracing assistant. Follow this request through every router "
            + "and worker it touches, and say where it went.";

    private final Closer cleanup = new Closer();
    /** traceparent headers the workers were sent with chat requests. */
    private final List<String> received = new CopyOnWriteArrayList<>();


    @AfterEach
    void tearDown() throws Exception {
        cleanup.close();
    }

    /** A worker on loopback: healthy, serves model "m", answers chat and records the traceparent it got. */
    private int worker() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 32);
        server.createContext("/", (HttpExchange ex) -> {
            ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getPath();
            String body;
            if (path.equals("/v1/models")) {
                body = "{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\"}]}";
            } else if (path.equals("/v1/chat/completions")) {
                received.add(String.valueOf(ex.getRequestHeaders().getFirst("traceparent")));
                body = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                        + "\"message\":{\"role\":\"assistant\",\"content\":\"here\"},\"finish_reason\":\"stop\"}],"
                        + "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":1,\"total_tokens\":21}}";
            } else {
                body = "{}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        cleanup.add(() -> server.stop(0));
        return server.getAddress().getPort();
    }

    private static String chat() {
        return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
    }

    private static String traceparent(String traceId) {
        return "00-" + traceId + "-" + CLIENT_SPAN + "-01";
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> tags(Map<String, Object> span) {
        return (Map<String, String>) span.getOrDefault("tags", Map.of());
    }

    private static Map<String, Object> only(List<Map<String, Object>> spans, String name) {
        List<Map<String, Object>> named = spans.stream().filter(s -> name.equals(s.get("name"))).toList();
        assertEquals(1, named.size(), "spans named " + name + " in " + spans);
        return named.get(0);
    }

    /** Waits until Zipkin has the trace's four router spans, and returns them all. */
    private static List<Map<String, Object>> awaitTrace(TraceServer zipkin, String traceId) {
        Set<String> wanted = Set.of("post /v1/chat/completions", "admission", "select_worker", "upstream_attempt");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                zipkin.trace(traceId).stream().map(s -> (String) s.get("name")).collect(Collectors.toSet())
                        .containsAll(wanted));
        return zipkin.trace(traceId);
    }

    @Test
    void aRequestIsOneTraceInZipkinFromTheClientThroughTheRoutersStepsToTheWorker() throws Exception {
        Assumptions.assumeTrue(TraceServer.available(), "Zipkin's jar is not in target/trace-server (mvn fetches it)");
        TraceServer zipkin = TraceServer.start();
        cleanup.add(zipkin);
        int w1 = worker();
        int w2 = worker();
        List<MeshRouter> nodes = MeshRouter.named("router-a", "router-b");
        Map<String, String> otel = Map.of(
                "OTEL_TRACES_EXPORTER", "zipkin",
                "OTEL_EXPORTER_ZIPKIN_ENDPOINT", zipkin.spansEndpoint(),
                "OTEL_BSP_SCHEDULE_DELAY", "100");
        for (MeshRouter node : nodes) {
            cleanup.add(SmgProcess.start(otel, node.args(nodes, 1, "--policy", "cache_aware", "--enable-trace",
                    "--worker-urls", "http://127.0.0.1:" + w1, "http://127.0.0.1:" + w2)));
        }
        for (MeshRouter node : nodes) {
            await().atMost(FORM).ignoreExceptions().untilAsserted(() ->
                    assertEquals(Map.of("router-a", "1", "router-b", "1"), HaStatus.statuses(node.url("")), node.name()));
            await().atMost(FORM).ignoreExceptions().until(() ->
                    Http.get(node.url("/readiness")).body().contains("\"healthy_workers\":2"));
        }
        MeshRouter a = nodes.get(0);
        MeshRouter b = nodes.get(1);

        // Through router a, in the client's trace.
        String first = "4bf92f3577b34da6a3ce929d0e0e4736";
        assertEquals(200, Http.post(a.url("/v1/chat/completions"), chat(), "traceparent", traceparent(first))
                .statusCode());
        List<Map<String, Object>> trace = awaitTrace(zipkin, first);
        Map<String, Object> request = only(trace, "post /v1/chat/completions");
        assertEquals("SERVER", request.get("kind"));
        assertEquals(CLIENT_SPAN, request.get("parentId"), "the router's span is the client's span's child");
        @SuppressWarnings("unchecked")
        Map<String, Object> endpoint = (Map<String, Object>) request.get("localEndpoint");
        assertEquals("smg", endpoint.get("serviceName"));
        assertEquals("200", tags(request).get("http.response.status_code"));
        assertEquals("m", tags(request).get("gen_ai.request.model"));
        Map<String, Object> admission = only(trace, "admission");
        assertEquals(request.get("id"), admission.get("parentId"));
        assertEquals("admitted", tags(admission).get("smg.admission.result"));
        Map<String, Object> selection = only(trace, "select_worker");
        assertEquals(request.get("id"), selection.get("parentId"));
        assertEquals("cache_aware", tags(selection).get("smg.policy"));
        String chosen = tags(selection).get("smg.worker");
        assertNotNull(chosen);
        Map<String, Object> attempt = only(trace, "upstream_attempt");
        assertEquals("CLIENT", attempt.get("kind"));
        assertEquals(request.get("id"), attempt.get("parentId"));
        assertEquals(chosen, tags(attempt).get("smg.worker"));
        assertEquals("closed", tags(attempt).get("smg.breaker.state"));
        assertEquals("false", tags(attempt).get("smg.retry"));
        assertEquals(List.of("00-" + first + "-" + attempt.get("id") + "-01"), received,
                "the worker got the attempt's context, in the client's trace");

        // The same prompt through router b, once a's tree entry reached it: steered by it.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> PrometheusText.parse(
                Http.get(b.metricsUrl()).body()).sum("smg_cache_tree_blocks") > 0);
        String second = "5cf92f3577b34da6a3ce929d0e0e4737";
        assertEquals(200, Http.post(b.url("/v1/chat/completions"), chat(), "traceparent", traceparent(second))
                .statusCode());
        Map<String, Object> steered = only(awaitTrace(zipkin, second), "select_worker");
        assertEquals("cache_match", tags(steered).get("smg.selection.reason"));
        assertEquals("router-a", tags(steered).get("smg.cache.entry_router"),
                "the tree entry came from router a's request");
        assertEquals(chosen, tags(steered).get("smg.worker"));
        assertEquals(tags(steered).get("smg.cache.prompt_blocks"), tags(steered).get("smg.cache.matched_blocks"));
        assertTrue(Integer.parseInt(tags(steered).get("smg.cache.matched_blocks")) > 0);
    }
}
