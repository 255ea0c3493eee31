package dev.smg.api.mock;

import dev.smg.api.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One mock SGLang/vLLM-style worker on one port. Every response names the worker that produced it
 * (body field {@code worker}, header {@code X-Mock-Worker}) so tests and demos can see routing.
 */
public final class MockWorker {
    private static final System.Logger LOG = System.getLogger(MockWorker.class.getName());

    /** "mock-PORT"; set once the port is bound (port 0 means "any free port"). */
    private volatile String id;
    private final MockBehaviour behaviour;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    /** Remaining generation requests to fail with {@link #failStatus} (negative: all of them). */
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile int failStatus = 500;
    private volatile boolean healthy = true;
    private volatile WebServer server;

    private MockWorker(MockBehaviour behaviour) {
        this.behaviour = behaviour;
    }

    public static MockWorker start(String host, int port, MockBehaviour behaviour) {
        MockWorker worker = new MockWorker(behaviour);
        worker.server = WebServer.builder()
                .host(host)
                .port(port)
                .shutdownHook(false)
                .routing(worker::routes)
                .build()
                .start();
        if (!worker.server.isRunning() || worker.server.port() < 0) {
            throw new dev.smg.api.cli.CliException("mock-worker: cannot listen on " + host + ":" + port
                    + ": the address is in use or not available");
        }
        worker.id = "mock-" + worker.server.port();
        return worker;
    }

    public void stop() {
        WebServer s = server;
        if (s != null) {
            s.stop();
        }
    }

    public int port() {
        return server.port();
    }

    private void routes(HttpRouting.Builder routing) {
        routing.get("/health", (req, res) -> {
                    if (healthy) {
                        res.send("OK");
                    } else {
                        res.status(Status.SERVICE_UNAVAILABLE_503).send("unhealthy");
                    }
                })
                .post("/_mock/fail", this::controlFailures)
                .post("/_mock/health", this::controlHealth)
                .get("/v1/models", this::models)
                .get("/v1/loads", this::loads)
                .post("/v1/chat/completions", (req, res) -> generate(req, res, MockCompletion.Shape.CHAT))
                .post("/v1/completions", (req, res) -> generate(req, res, MockCompletion.Shape.COMPLETION))
                .post("/generate", (req, res) -> generate(req, res, MockCompletion.Shape.GENERATE));
    }

    /**
     * Makes the next {@code count} generation requests fail with {@code status} (count &lt; 0: every
     * one until reset; 0: reset). Tests use it to drive breakers and retries.
     */
    public void failNext(int status, int count) {
        failStatus = status;
        failuresLeft.set(count);
    }

    /** Makes {@code /health} answer 200 (true) or 503 (false). */
    public void setHealthy(boolean value) {
        healthy = value;
    }

    /** Generation requests being answered right now. */
    public int running() {
        return running.get();
    }

    /** Generation requests answered so far, failures included. */
    public long served() {
        return served.get();
    }

    private void controlFailures(ServerRequest req, ServerResponse res) throws IOException {
        Map<String, Object> body = Json.MAPPER.mapFrom(req.content().as(byte[].class));
        int status = body != null && body.get("status") instanceof Number n ? n.intValue() : 500;
        int count = body != null && body.get("count") instanceof Number n ? n.intValue() : 1;
        failNext(status, count);
        sendJson(res, Status.OK_200, Map.of("status", status, "count", count));
    }

    private void controlHealth(ServerRequest req, ServerResponse res) throws IOException {
        Map<String, Object> body = Json.MAPPER.mapFrom(req.content().as(byte[].class));
        setHealthy(body == null || !Boolean.FALSE.equals(body.get("healthy")));
        sendJson(res, Status.OK_200, Map.of("healthy", healthy));
    }

    /** Whether this request is one of those told to fail. */
    private boolean takeFailure() {
        while (true) {
            int left = failuresLeft.get();
            if (left == 0) {
                return false;
            }
            if (left < 0 || failuresLeft.compareAndSet(left, left - 1)) {
                return true;
            }
        }
    }

    private void models(ServerRequest req, ServerResponse res) throws IOException {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", behaviour.model());
        model.put("object", "model");
        model.put("created", 0);
        model.put("owned_by", "sglang");
        model.put("root", behaviour.model());
        model.put("max_model_len", 32768);
        sendJson(res, Status.OK_200, Map.of("object", "list", "data", List.of(model)));
    }

    private void loads(ServerRequest req, ServerResponse res) throws IOException {
        Map<String, Object> load = new LinkedHashMap<>();
        int now = running.get();
        load.put("dp_rank", 0);
        load.put("num_running_reqs", now);
        load.put("num_waiting_reqs", 0);
        load.put("num_waiting_uncached_tokens", 0);
        load.put("num_total_reqs", served.get());
        load.put("num_used_tokens", 0);
        load.put("max_total_num_tokens", 1_000_000);
        load.put("token_usage", 0.0);
        load.put("gen_throughput", 0.0);
        load.put("cache_hit_rate", 0.0);
        load.put("utilization", 0.0);
        load.put("max_running_requests", 256);
        sendJson(res, Status.OK_200, Map.of("timestamp", "", "dp_rank_count", 1, "loads", List.of(load)));
    }

    private void generate(ServerRequest req, ServerResponse res, MockCompletion.Shape shape) throws Exception {
        byte[] body = req.content().as(byte[].class);
        Map<String, Object> request;
        try {
            request = Json.MAPPER.mapFrom(body);
        } catch (IOException e) {
            sendJson(res, Status.BAD_REQUEST_400, Map.of("error", Map.of(
                    "message", "malformed JSON", "type", "invalid_request_error", "code", "json_parse_error")));
            return;
        }
        if (request == null) {
            sendJson(res, Status.BAD_REQUEST_400, Map.of("error", Map.of(
                    "message", "request body must be a JSON object", "type", "invalid_request_error", "code", 400)));
            return;
        }
        if (behaviour.apiKey().isPresent()
                && !req.headers().first(HeaderNames.AUTHORIZATION).orElse("").equals("Bearer " + behaviour.apiKey().get())) {
            sendJson(res, Status.UNAUTHORIZED_401, Map.of("error", Map.of(
                    "message", "bad worker api key", "type", "authentication_error", "code", 401)));
            return;
        }
        if (takeFailure()) {
            served.incrementAndGet();
            res.header("X-Mock-Worker", id);
            sendJson(res, Status.create(failStatus), Map.of("error", Map.of(
                    "message", "injected failure from " + id, "type", "server_error", "code", failStatus)));
            return;
        }
        MockCompletion completion = new MockCompletion(id, behaviour, shape, request);
        running.incrementAndGet();
        try {
            res.header("X-Mock-Worker", id);
            if (Boolean.TRUE.equals(request.get("stream"))) {
                stream(res, completion);
            } else {
                sleep(behaviour.genMillis());
                sendJson(res, Status.OK_200, completion.whole());
            }
            served.incrementAndGet();
        } finally {
            running.decrementAndGet();
        }
    }

    /** Writes one SSE event per chunk, flushing each, pacing them over the generation time. */
    private void stream(ServerResponse res, MockCompletion completion) {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        int chunks = behaviour.streamChunks();
        long pause = behaviour.genMillis() / Math.max(1, chunks);
        try (OutputStream out = res.outputStream()) {
            for (int i = 0; i < chunks; i++) {
                sleep(pause);
                writeEvent(out, Json.MAPPER.asString(completion.chunk(i)));
            }
            writeEvent(out, Json.MAPPER.asString(completion.finalChunk()));
            writeEvent(out, "[DONE]");
        } catch (IOException | UncheckedIOException e) {
            // The client went away: stop generating, as an engine would abort the request.
            LOG.log(System.Logger.Level.DEBUG, "{0}: stream aborted: {1}", id, e.getMessage());
        }
    }

    private static void writeEvent(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sendJson(ServerResponse res, Status status, Object value) throws IOException {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.MAPPER.asBytes(value));
    }

    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis); // simulated generation time, not a wait for a condition
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
