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
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One mock SGLang/vLLM-style worker on one port. Every response names the worker that produced it
 * (body field {@code worker}, header {@code X-Mock-Worker}) so tests and demos can see routing.
 * Canned workers answer after a fixed time; realistic ones ({@link MockBehaviour#engine()}) run a
 * simulated continuous-batching engine with a prefix cache, and {@code /v1/loads} reports its load.
 * Answers are deterministic and can be continued on another worker ({@link MockPrompt}); a test can
 * make a worker crash or stall after a number of streamed tokens ({@link #dieAfterTokens}).
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
    /** The bound port, kept so it can still be named after a crash stopped the server. */
    private volatile int port;
    private boolean stopped;
    private final DeathSwitch death = new DeathSwitch(this::crash);
    /** The simulated engine of a realistic worker; null for a canned one. */
    private final RealisticEngine engine;
    private final RealisticResponder realistic;

    private MockWorker(MockBehaviour behaviour, int port) {
        this.behaviour = behaviour;
        // Started before the server, so no request can arrive before the engine is there.
        this.engine = behaviour.engine().map(s -> RealisticEngine.start(String.valueOf(port), s)).orElse(null);
        this.realistic = engine == null ? null : new RealisticResponder(engine, behaviour.model(), death);
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
        worker.port = worker.server.port();
        worker.id = "mock-" + worker.port;
        if (worker.engine != null) {
            worker.engine.rename(String.valueOf(worker.server.port()));
        }
        return worker;
    }

    /** The simulated engine, for a realistic worker. */
    public Optional<RealisticEngine> engine() {
        return Optional.ofNullable(engine);
    }

    /** Stops the worker (idempotent; a second caller waits for the first to finish). */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        death.stop(); // stalled handlers end, so the server is not held up by them
        if (engine != null) {
            engine.close(); // first, so requests waiting for tokens end and the server can stop at once
        }
        WebServer s = server;
        if (s != null) {
            s.stop();
        }
    }

    /** The port it listens on (or listened on, once stopped). */
    public int port() {
        return port;
    }

    /**
     * Makes the worker die once {@code afterTokens} more content tokens have been streamed, counted
     * over all its streams from now (0: at once). {@link DeathMode#CRASH}: every open stream is cut
     * mid-body (no final chunk, no {@code [DONE]}, no terminating chunk), requests in progress get no
     * answer and the server stops, so later connections are refused. {@link DeathMode#STALL}: every
     * open stream and every later generation request sends nothing more, holding its connection,
     * until {@code dieAfterTokens(0, DeathMode.NONE)} or {@link #stop()}. {@link DeathMode#NONE}
     * disarms and lifts a stall; a crash that has happened is final. Control endpoints
     * ({@code /health}, {@code /v1/loads}, {@code /_mock/*}) are never stalled.
     */
    public void dieAfterTokens(int afterTokens, DeathMode mode) {
        death.arm(afterTokens, mode);
    }

    /** The death came as a crash: stop listening, off the handler's thread (stop waits for handlers). */
    private void crash() {
        LOG.log(System.Logger.Level.DEBUG, "{0}: crashing as told", id);
        Thread.ofPlatform().daemon().name(id + "-crash").start(this::stop);
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
                .post("/_mock/die", this::controlDeath)
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

    /** Generation requests in progress right now, from their arrival (a stalled one included). */
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

    /** {@code {"after_tokens": N, "mode": "crash"|"stall"|"none"}}, defaults 0 and crash. */
    private void controlDeath(ServerRequest req, ServerResponse res) throws IOException {
        Map<String, Object> body = Json.MAPPER.mapFrom(req.content().as(byte[].class));
        Object after = body == null ? null : body.get("after_tokens");
        Object mode = body == null ? null : body.get("mode");
        if (after != null && !(after instanceof Number n && n.doubleValue() >= 0
                && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() <= Integer.MAX_VALUE)) {
            sendError(res, Status.BAD_REQUEST_400, "invalid_request_error", "after_tokens must be a whole number >= 0, got " + after);
            return;
        }
        DeathMode deathMode;
        try {
            deathMode = mode == null ? DeathMode.CRASH : DeathMode.valueOf(String.valueOf(mode).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            sendError(res, Status.BAD_REQUEST_400, "invalid_request_error", "mode must be crash, stall or none, got " + mode);
            return;
        }
        int afterTokens = after == null ? 0 : ((Number) after).intValue();
        // Answered first: a crash at once stops the server, which would otherwise race this answer.
        sendJson(res, Status.OK_200, Map.of("after_tokens", afterTokens, "mode", deathMode.name().toLowerCase(Locale.ROOT)));
        dieAfterTokens(afterTokens, deathMode);
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
        running.incrementAndGet(); // from the start, so a request held by a stall shows here
        try {
            answer(req, res, shape);
        } finally {
            running.decrementAndGet();
        }
    }

    private void answer(ServerRequest req, ServerResponse res, MockCompletion.Shape shape) throws Exception {
        byte[] body = req.content().as(byte[].class);
        death.checkpoint(); // a dead worker answers nothing, a stalled one holds the request
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
        res.header("X-Mock-Worker", id);
        MockPrompt prompt;
        OptionalInt requested;
        try {
            prompt = MockPrompt.read(shape, request);
            requested = AnswerLength.requested(request);
        } catch (IllegalArgumentException e) {
            sendError(res, Status.BAD_REQUEST_400, "invalid_request_error", e.getMessage());
            return;
        }
        if (realistic != null) {
            realistic.respond(id, res, prompt, requested, request);
            served.incrementAndGet();
            return;
        }
        AnswerLength length = AnswerLength.canned(behaviour.streamChunks(), prompt.answered(), requested);
        MockCompletion completion = MockCompletion.canned(id, behaviour, prompt, length.finishReason(), request);
        if (Boolean.TRUE.equals(request.get("stream"))) {
            stream(res, completion, length.tokens());
        } else {
            // --gen-ms whatever the length, as before max_tokens was honoured: benchmarks and chaos
            // runs that send a small max_tokens keep their timing.
            death.pause(behaviour.genMillis());
            death.checkpoint();
            sendJson(res, Status.OK_200, completion.whole(length.tokens()));
        }
        served.incrementAndGet();
    }

    /**
     * Writes one SSE event per token, flushing each, one per {@code genMillis / streamChunks}, so a
     * continuation (fewer tokens) keeps the pace of the stream it continues.
     */
    private void stream(ServerResponse res, MockCompletion completion, int tokens) {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        long pause = behaviour.genMillis() / Math.max(1, behaviour.streamChunks());
        // Not try-with-resources: closing ends the chunked body cleanly, which a crash must not do.
        OutputStream out = res.outputStream();
        try {
            for (int i = 0; i < tokens; i++) {
                death.pause(pause);
                int index = i;
                death.writeToken(() -> writeEvent(out, Json.MAPPER.asString(completion.chunk(index))));
            }
            death.checkpoint();
            writeEvent(out, Json.MAPPER.asString(completion.finalChunk(tokens)));
            writeEvent(out, "[DONE]");
            out.close();
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

}
