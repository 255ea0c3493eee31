package dev.smg.api.mock;

import dev.smg.api.json.Json;
import dev.smg.api.mock.engine.EngineSettings;
import dev.smg.api.mock.engine.Generation;
import dev.smg.api.mock.engine.PromptTokenizer;
import dev.smg.api.mock.engine.RealisticEngine;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Answers generation requests of a {@code --engine realistic} worker: turns the prompt into tokens,
 * hands the request to the {@link RealisticEngine}, and relays its tokens as they come out: one SSE
 * event per token when streaming, one body at the end otherwise. A client that goes away mid-stream
 * cancels its request, so the engine drops it.
 */
final class RealisticResponder {
    private static final System.Logger LOG = System.getLogger(RealisticResponder.class.getName());
    /** How long one wait for the engine lasts before it checks again; the engine wakes it sooner. */
    private static final long WAIT_SECONDS = 1;

    private final RealisticEngine engine;
    private final String defaultModel;

    RealisticResponder(RealisticEngine engine, String defaultModel) {
        this.engine = engine;
        this.defaultModel = defaultModel;
    }

    void respond(String worker, ServerResponse res, MockCompletion.Shape shape, Map<String, Object> request)
            throws IOException, InterruptedException {
        int[] prompt = PromptTokenizer.tokenize(PromptTokenizer.promptText(request));
        int output;
        try {
            output = outputLength(request, engine.settings().outputTokens());
        } catch (IllegalArgumentException e) {
            MockWorker.sendError(res, Status.BAD_REQUEST_400, "invalid_request_error", e.getMessage());
            return;
        }
        if ((long) prompt.length + output > EngineSettings.MAX_MODEL_LEN) {
            MockWorker.sendError(res, Status.BAD_REQUEST_400, "invalid_request_error",
                    "This model's maximum context length is " + EngineSettings.MAX_MODEL_LEN + " tokens; the request has "
                            + prompt.length + " prompt tokens and asks for " + output + " more");
            return;
        }
        Generation generation = new Generation(prompt, output);
        if (!engine.submit(generation)) {
            MockWorker.sendError(res, Status.SERVICE_UNAVAILABLE_503, "server_error",
                    "the engine's waiting queue is full (" + engine.settings().maxWaiting() + " requests)");
            return;
        }
        try {
            if (Boolean.TRUE.equals(request.get("stream"))) {
                stream(worker, res, shape, request, generation);
            } else {
                whole(worker, res, shape, request, generation);
            }
        } finally {
            if (!generation.progress().over()) {
                engine.cancel(generation); // an error or interrupt on our side: free the engine too
            }
        }
    }

    private void whole(String worker, ServerResponse res, MockCompletion.Shape shape, Map<String, Object> request,
                       Generation generation) throws IOException, InterruptedException {
        Generation.Progress p = generation.progress();
        while (!p.over()) {
            // Tokens never exceed the output length, so this returns when the request is over.
            p = generation.awaitBeyond(generation.outputTokens(), WAIT_SECONDS, TimeUnit.SECONDS);
        }
        if (p.state() != Generation.State.FINISHED) {
            MockWorker.sendError(res, Status.SERVICE_UNAVAILABLE_503, "server_error", "the engine stopped");
            return;
        }
        MockCompletion completion = new MockCompletion(worker, defaultModel, shape, request,
                generation.promptLength(), p.cachedTokens());
        MockWorker.sendJson(res, Status.OK_200, completion.whole(p.tokens()));
    }

    private void stream(String worker, ServerResponse res, MockCompletion.Shape shape, Map<String, Object> request,
                        Generation generation) throws InterruptedException, IOException {
        Generation.Progress p = generation.progress();
        while (p.tokens() == 0 && !p.over()) {
            p = generation.awaitBeyond(0, WAIT_SECONDS, TimeUnit.SECONDS);
        }
        if (p.tokens() == 0) {
            MockWorker.sendError(res, Status.SERVICE_UNAVAILABLE_503, "server_error", "the engine stopped");
            return;
        }
        // Headers go out with the first token, so a refusal before it can still be a status code.
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        MockCompletion completion = new MockCompletion(worker, defaultModel, shape, request,
                generation.promptLength(), p.cachedTokens());
        int written = 0;
        try (OutputStream out = res.outputStream()) {
            while (true) {
                for (; written < p.tokens(); written++) {
                    MockWorker.writeEvent(out, Json.MAPPER.asString(completion.chunk(written)));
                }
                if (p.over()) {
                    break;
                }
                p = generation.awaitBeyond(written, WAIT_SECONDS, TimeUnit.SECONDS);
            }
            if (p.state() == Generation.State.FINISHED) {
                MockWorker.writeEvent(out, Json.MAPPER.asString(completion.finalChunk(written)));
                MockWorker.writeEvent(out, "[DONE]");
            }
        } catch (IOException | UncheckedIOException e) {
            // The client went away: the engine drops the request at its next step.
            engine.cancel(generation);
            LOG.log(System.Logger.Level.DEBUG, "{0}: stream aborted after {1} tokens: {2}", worker, written,
                    e.getMessage());
        }
    }

    /**
     * The requested output length: {@code max_tokens}, {@code max_completion_tokens},
     * {@code max_new_tokens} or {@code sampling_params.max_new_tokens}, else {@code fallback}.
     */
    static int outputLength(Map<String, Object> request, int fallback) {
        String name = "max_tokens";
        Object value = request.get(name);
        for (String other : new String[] {"max_completion_tokens", "max_new_tokens"}) {
            if (value == null) {
                name = other;
                value = request.get(other);
            }
        }
        if (value == null && request.get("sampling_params") instanceof Map<?, ?> sampling) {
            name = "sampling_params.max_new_tokens";
            value = sampling.get("max_new_tokens");
        }
        if (value == null) {
            return fallback;
        }
        boolean whole = value instanceof Integer || value instanceof Long || value instanceof BigInteger
                || (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()));
        if (!whole || ((Number) value).doubleValue() < 1 || ((Number) value).doubleValue() > EngineSettings.MAX_MODEL_LEN) {
            throw new IllegalArgumentException(name + " must be a whole number from 1 to " + EngineSettings.MAX_MODEL_LEN
                    + ", got " + value);
        }
        return ((Number) value).intValue();
    }
}
