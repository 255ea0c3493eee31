package dev.smg.router.proxy;

import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.smg.router.metrics.GenerationMetrics;
import dev.smg.router.metrics.RouterMetrics;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.RoundRobinPolicy;
import dev.smg.router.policy.RoutingRequest;
import dev.smg.router.retry.RetrySettings;
import dev.smg.router.stream.StreamFailoverSettings;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;
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
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stream relay against scripted workers (JDK HTTP servers on loopback writing exact bytes): what
 * real engines do at the edges, that the mock does not.
 */
class StreamRelayTest {
    private static final String BODY = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":10,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private final List<HttpServer> servers = new ArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private Dispatcher dispatcher;
    private final PrometheusRegistry prometheus = new PrometheusRegistry();

    @AfterEach
    void stop() {
        if (dispatcher != null) {
            dispatcher.close();
        }
        servers.forEach(s -> s.stop(0));
    }

    private static String chunk(String id, String content, String finish) {
        return "data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
    }

    /** A worker that answers every request with {@code script} (exact bytes, then a clean end). */
    private WorkerUrl worker(String script) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", (HttpExchange ex) -> {
            bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(script.getBytes(StandardCharsets.UTF_8));
            }
        });
        server.start();
        servers.add(server);
        return WorkerUrl.parse("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private final class Capture implements ClientReply {
        final ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        GatewayError error;

        @Override
        public void error(GatewayError e) {
            error = e;
        }

        @Override
        public void complete(int status, List<HeaderField> headers, byte[] body) {
            throw new AssertionError("a stream was expected");
        }

        @Override
        public OutputStream stream(int status, List<HeaderField> headers) {
            return streamed;
        }

        String text() {
            return streamed.toString(StandardCharsets.UTF_8);
        }
    }

    private Capture send(WorkerUrl... urls) {
        return send(BODY, urls);
    }

    private Capture send(String requestBody, WorkerUrl... urls) {
        WorkerRegistry registry = new WorkerRegistry();
        for (WorkerUrl url : urls) {
            Worker w = registry.add(WorkerSpec.of(url));
            w.activate(List.of());
        }
        RouterMetrics metrics = new RouterMetrics(prometheus, registry::snapshot);
        dispatcher = new Dispatcher(registry, PolicyRegistry.of(new RoundRobinPolicy()),
                new UpstreamClient(Duration.ofSeconds(5), Duration.ofSeconds(30)),
                RetrySettings.DEFAULTS, metrics, StreamFailoverSettings.DEFAULTS, new GenerationMetrics(prometheus));
        byte[] body = requestBody.getBytes(StandardCharsets.UTF_8);
        InferenceRequest request = InferenceRequest.parse(body);
        Capture reply = new Capture();
        dispatcher.dispatch(new ProxyCall(InferenceRoute.CHAT, request, body, List.of(), "rid-1",
                new RoutingRequest("m", Optional.empty(), request.promptText())), reply);
        return reply;
    }

    @Test
    void aLastEventWithoutItsBlankLineIsStillRelayed() throws IOException {
        String script = chunk("A", "one", null) + chunk("A", " two", "stop") + "data: [DONE]";
        Capture reply = send(worker(script));
        assertNull(reply.error);
        assertEquals(chunk("A", "one", null) + chunk("A", " two", "stop") + "data: [DONE]\n\n", reply.text());
        assertEquals(1, bodies.size(), "no continuation: the answer was whole");
    }

    @Test
    void aStreamThatEndsWithoutAFinishIsContinuedOnTheOtherWorkerAsOne() throws IOException {
        // The first worker stops after two tokens (a clean close, no finish, no [DONE]); a cut event is dropped.
        WorkerUrl first = worker(chunk("A", "one", null) + chunk("A", " two", null) + "data: {\"id\":\"A\",\"cho");
        WorkerUrl second = worker("data: {\"id\":\"B\",\"object\":\"chat.completion.chunk\",\"created\":9,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
                + chunk("B", " three", "stop") + "data: [DONE]\n\n");
        Capture reply = send(first, second);
        assertNull(reply.error);
        String text = reply.text();
        assertTrue(text.startsWith(chunk("A", "one", null) + chunk("A", " two", null)), text);
        assertTrue(text.endsWith("data: [DONE]\n\n"), text);
        assertTrue(!text.contains("\"B\"") && !text.contains("\"created\":9") && !text.contains("\"cho\n"), text);
        assertTrue(text.contains("\" three\""), text);
        assertEquals(2, bodies.size());
        Map<String, Object> continuation = JSON.std.mapFrom(bodies.get(1));
        assertEquals(Boolean.TRUE, continuation.get("continue_final_message"));
        assertEquals(Boolean.FALSE, continuation.get("add_generation_prompt"));
        assertEquals(8, ((Number) continuation.get("max_tokens")).intValue());
        List<?> messages = (List<?>) continuation.get("messages");
        assertEquals(Map.of("role", "assistant", "content", "one two"), messages.get(messages.size() - 1));
        // Generation metrics: one first token, two gaps (three tokens reached the client), one answer.
        assertEquals(1, count("smg_router_ttft_seconds"));
        assertEquals(2, count("smg_router_inter_token_latency_seconds"));
        assertEquals(1, count("smg_router_generation_duration_seconds"));
    }

    private static final String USAGE_ONLY = "data: {\"id\":\"A\",\"object\":\"chat.completion.chunk\",\"created\":7,"
            + "\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}\n\n";

    @Test
    void usageIsAskedForOnTheClientsBehalfCountedAndKeptFromIt() throws IOException {
        String script = chunk("A", "one", null) + chunk("A", " two", "stop") + USAGE_ONLY + "data: [DONE]\n\n";
        Capture reply = send(worker(script));
        assertEquals(chunk("A", "one", null) + chunk("A", " two", "stop") + "data: [DONE]\n\n", reply.text());
        assertTrue(bodies.get(0).startsWith("{\"stream_options\":{\"include_usage\":true},\"model\":\"m\""),
                bodies.get(0));
        assertEquals(BODY.substring(1), bodies.get(0).substring(bodies.get(0).indexOf("\"model\"")),
                "the rest of the body goes out byte for byte");
        assertEquals(2.0, tokens("output"));
        assertEquals(4.0, tokens("input"));
    }

    @Test
    void aClientThatAskedForUsageGetsItAndItsBodyAsItWas() throws IOException {
        String body = "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String script = chunk("A", "one", "stop") + USAGE_ONLY + "data: [DONE]\n\n";
        Capture reply = send(body, worker(script));
        assertEquals(script, reply.text());
        assertEquals(body, bodies.get(0));
        assertEquals(2.0, tokens("output"));
    }

    private double tokens(String type) {
        return prometheus.scrape().stream().filter(m -> m.getMetadata().getPrometheusName().equals("smg_router_tokens"))
                .flatMap(m -> ((io.prometheus.metrics.model.snapshots.CounterSnapshot) m).getDataPoints().stream())
                .filter(d -> type.equals(d.getLabels().get("token_type")))
                .mapToDouble(io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot::getValue)
                .sum();
    }

    /** A histogram's observation count, all label sets. */
    private long count(String histogram) {
        return prometheus.scrape().stream().filter(m -> m.getMetadata().getPrometheusName().equals(histogram))
                .flatMap(m -> ((io.prometheus.metrics.model.snapshots.HistogramSnapshot) m).getDataPoints().stream())
                .mapToLong(io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot::getCount)
                .sum();
    }
}
