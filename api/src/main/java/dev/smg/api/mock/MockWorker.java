package dev.smg.api.mock;

import dev.smg.api.json.Json;
import dev.smg.api.mock.engine.RealisticEngine;
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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One mock SGLang/vLLM-style worker on one port. Every response names the worker that produced it
 * (body field {@code worker}, header {@code X-Mock-Worker}) so tests and demos can see routing.
 * Canned workers answer after a fixed time; realistic ones ({@link MockBehaviour#engine()}) run a
 * simulated continuous-batching engine with a prefix cache, and {@code /v1/loads} reports its load.
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
    /** The simulated engine of a realistic worker; null for a canned one. */
    private final RealisticEngine engine;
    private final RealisticResponder realistic;

    private MockWorker(MockBehaviour behaviour, int port) {
        this.behaviour = behaviour;
        // Started before the server, so no request can arrive before the engine is there.
        this.engine = behaviour.engine().map(s -> RealisticEngine.start(String.valueOf(port), s)).orElse(null);
        this.realistic = engine == null ? null : new RealisticResponder(engine, behaviour.model());
    }

    public static MockWorker start(String host, int port, MockBehaviour behaviour) {
        MockWorker worker = new MockWorker(behaviour, port);
        try {
            worker.server = WebServer.builder()
                    .host(host)
                    .port(port)
                    .shutdownHook(false)
                    .routing(worker::routes)
                    .build()
                    .start();
        } catch (RuntimeException e) {
            worker.stop();
            throw e;
        }
        if (!worker.server.isRunning() || worker.server.port() < 0) {
            worker.stop();
            throw new dev.smg.api.cli.CliException("mock-worker: cannot listen on " + host + ":" + port
                    + ": the address is in use or not available");
        }
        worker.id = "mock-" + worker.server.port();
        if (worker.engine != null) {
            worker.engine.rename(String.valueOf(worker.server.port()));
        }
        return worker;
    }

    /** The simulated engine, for a realistic worker. */
    public Optional<RealisticEngine> engine() {
        return Optional.ofNullable(engine);
    }

    public void stop() {
        if (engine != null) {
            engine.close(); // first, so requests waiting for tokens end and the server can stop at once
        }
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
        if (engine != null) {
            sendJson(res, Status.OK_200, Map.of("timestamp", "", "dp_rank_count", 1,
                    "loads", List.of(engine.loads().toJson())));
            return;
        }
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
        running.incrementAndGet();
        try {
            res.header("X-Mock-Worker", id);
            if (realistic != null) {
                realistic.respond(id, res, shape, request);
                served.incrementAndGet();
                return;
            }
            MockCompletion completion = MockCompletion.canned(id, behaviour, shape, request);
            if (Boolean.TRUE.equals(request.get("stream"))) {
                stream(res, completion);
            } else {
                sleep(behaviour.genMillis());
                sendJson(res, Status.OK_200, completion.whole(behaviour.streamChunks()));
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
            writeEvent(out, Json.MAPPER.asString(completion.finalChunk(chunks)));
            writeEvent(out, "[DONE]");
        } catch (IOException | UncheckedIOException e) {
            // The client went away: stop generating, as an engine would abort the request.
            LOG.log(System.Logger.Level.DEBUG, "{0}: stream aborted: {1}", id, e.getMessage());
        }
    }

    static void writeEvent(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    static void sendJson(ServerResponse res, Status status, Object value) throws IOException {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.MAPPER.asBytes(value));
    }

    /** An OpenAI error envelope. */
    static void sendError(ServerResponse res, Status status, String type, String message) throws IOException {
        sendJson(res, status, Map.of("error", Map.of("message", message, "type", type, "code", status.code())));
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
