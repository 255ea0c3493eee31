package dev.smg.api.gateway;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.TestGateway;
import dev.smg.router.worker.WorkerStatus;
import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The first proxy slice, in process: two mock workers on loopback behind one gateway. */
class GatewayProxyTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String CHAT = """
            {"model":"mock-model","stream":%s,"messages":[{"role":"user","content":"hello there"}]}""";

    private static MockWorker slow;
    private static MockWorker other;
    private static TestGateway testGateway;
    private static GatewayProcess gateway;

    @BeforeAll
    static void start() {
        // Streams of 4 chunks over 2 s: while the client holds the first event, the worker is
        // provably still generating, which is what "relayed without buffering" means.
        MockBehaviour behaviour = new MockBehaviour("mock-model", 2000, 4);
        slow = MockWorker.start("127.0.0.1", 0, behaviour);
        other = MockWorker.start("127.0.0.1", 0, behaviour);
        testGateway = TestGateway.start("--worker-urls", url(slow).toString(), url(other).toString());
        gateway = testGateway.process();
        awaitReady(gateway);
    }

    static void awaitReady(GatewayProcess target) {
        await().atMost(Duration.ofSeconds(30)).until(() ->
                Http.get("http://127.0.0.1:" + target.port() + "/readiness").statusCode() == 200
                        && target.registry().snapshot().stream().allMatch(w -> w.status() == WorkerStatus.READY));
    }

    @AfterAll
    static void stop() {
        testGateway.close();
        slow.stop();
        other.stop();
    }

    static WorkerUrl url(MockWorker worker) {
        return WorkerUrl.parse("http://127.0.0.1:" + worker.port());
    }

    private static HttpRequest.Builder post(GatewayProcess target, String path, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private static int running(MockWorker worker) throws IOException, InterruptedException {
        HttpResponse<String> loads = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + worker.port() + "/v1/loads")).build(),
                HttpResponse.BodyHandlers.ofString());
        Map<String, Object> body = JSON.std.mapFrom(loads.body());
        return ((Number) ((Map<?, ?>) ((List<?>) body.get("loads")).get(0)).get("num_running_reqs")).intValue();
    }

    @Test
    void streamIsRelayedEventByEventAndRequestsAlternateBetweenWorkers() throws Exception {
        List<String> workersSeen = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            HttpResponse<Stream<String>> response = HTTP.send(post(gateway, "/v1/chat/completions",
                    CHAT.formatted("true")).build(), HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
            List<String> events = new ArrayList<>();
            try (Stream<String> lines = response.body()) {
                Iterator<String> it = lines.filter(l -> l.startsWith("data: ")).iterator();
                String first = it.next();
                events.add(first);
                Map<String, Object> chunk = JSON.std.mapFrom(first.substring(6));
                String worker = (String) chunk.get("worker");
                workersSeen.add(worker);
                MockWorker producer = worker.equals("mock-" + slow.port()) ? slow : other;
                // The first event reached us while its worker is still producing the rest.
                assertEquals(1, running(producer), "first event arrived only after the stream ended");
                it.forEachRemaining(events::add);
            }
            assertEquals(6, events.size(), "4 content chunks, a final chunk and [DONE]: " + events);
            assertEquals("data: [DONE]", events.get(events.size() - 1));
        }
        assertNotEquals(workersSeen.get(0), workersSeen.get(1), "round robin must alternate: " + workersSeen);
    }

    @Test
    void nonStreamingAnswersCarryTheRequestIdAndAlternate() throws Exception {
        List<String> workers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = HTTP.send(post(gateway, "/v1/chat/completions", CHAT.formatted("false"))
                    .header("x-request-id", "rid-" + i).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("rid-" + i, r.headers().firstValue("x-request-id").orElse(""));
            workers.add((String) JSON.std.mapFrom(r.body()).get("worker"));
        }
        assertEquals(workers.get(0), workers.get(2));
        assertEquals(workers.get(1), workers.get(3));
        assertNotEquals(workers.get(0), workers.get(1));
    }

    @Test
    void generatedRequestIdHasTheRoutePrefix() throws Exception {
        HttpResponse<String> r = HTTP.send(post(gateway, "/v1/completions",
                "{\"model\":\"mock-model\",\"prompt\":\"hi\"}").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("x-request-id").orElse("").matches("cmpl-[A-Za-z0-9]{24}"));
        assertEquals("text_completion", JSON.std.mapFrom(r.body()).get("object"));
    }

    @Test
    void malformedJsonIsA400InTheOpenAiEnvelope() throws Exception {
        HttpResponse<String> r = HTTP.send(post(gateway, "/v1/chat/completions", "{not json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        Map<String, Object> error = (Map<String, Object>) JSON.std.mapFrom(r.body()).get("error");
        assertEquals("invalid_request_error", error.get("type"));
        assertEquals("json_parse_error", error.get("code"));
        assertTrue(((String) error.get("message")).startsWith("malformed JSON"));
    }

    @Test
    void noWorkersIsA503AndADeadWorkerIsA502() throws Exception {
        try (TestGateway empty = TestGateway.start()) {
            HttpResponse<String> r = HTTP.send(post(empty.process(), "/v1/chat/completions", CHAT.formatted("false"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, r.statusCode());
            assertEquals("no_available_workers", r.headers().firstValue("X-SMG-Error-Code").orElse(""));
            assertEquals(503, Http.get(empty.url("/readiness")).statusCode());
        }
        // A worker that passed its probe and then died: the transport failure is a 502 in the envelope.
        MockWorker doomed = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", 0, 1));
        try (TestGateway dead = TestGateway.start("--disable-retries", "--worker-urls", url(doomed).toString())) {
            awaitReady(dead.process());
            doomed.stop();
            HttpResponse<String> r = HTTP.send(post(dead.process(), "/v1/chat/completions", CHAT.formatted("false"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(502, r.statusCode(), r.body());
            assertEquals("call_upstream_connection_failed", Http.error(r).get("code"));
        }
    }

    @Test
    void haRoutesSayTheMeshIsOff() {
        for (String path : List.of("/ha/status", "/ha/health", "/ha/workers", "/ha/policies")) {
            HttpResponse<String> r = Http.get("http://127.0.0.1:" + gateway.port() + path);
            assertEquals(503, r.statusCode(), path);
            assertEquals(Map.of("error", "mesh not enabled"), Http.json(r), path);
        }
    }

    @Test
    void healthEndpointsAnswer() throws Exception {
        for (String path : List.of("/health", "/liveness", "/readiness")) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gateway.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path);
        }
    }
}
