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
import java.util.Map;
import java.util.OptionalInt;
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
    private final DeathSwitch death;

    RealisticResponder(RealisticEngine engine, String defaultModel, DeathSwitch death) {
        this.engine = engine;
        this.defaultModel = defaultModel;
        this.death = death;
    }

    /**
     * Answers with {@code max_tokens} tokens when given, else what is left of the natural length
     * ({@code --output-tokens}) after the {@code prompt.answered()} tokens a continuation carries.
     */
    void respond(String worker, ServerResponse res, MockPrompt prompt, OptionalInt requested, Map<String, Object> request)
            throws IOException, InterruptedException {
        int[] promptTokens = PromptTokenizer.tokenize(PromptTokenizer.promptText(request));
        AnswerLength length = AnswerLength.realistic(engine.settings().outputTokens(), prompt.answered(), requested);
        int output = length.tokens();
        if ((long) promptTokens.length + output > EngineSettings.MAX_MODEL_LEN) {
            MockWorker.sendError(res, Status.BAD_REQUEST_400, "invalid_request_error",
                    "This model's maximum context length is " + EngineSettings.MAX_MODEL_LEN + " tokens; the request has "
                            + promptTokens.length + " prompt tokens and asks for " + output + " more");
            return;
        }
        boolean stream = Boolean.TRUE.equals(request.get("stream"));
        if (output == 0) {
            // A continuation of a finished answer: nothing for the engine to do, only the ending.
            MockCompletion completion = new MockCompletion(worker, defaultModel, prompt, length.finishReason(), request,
                    promptTokens.length, 0);
            if (stream) {
                streamHeaders(res);
                OutputStream out = res.outputStream();
                death.checkpoint();
                MockWorker.writeEvent(out, Json.MAPPER.asString(completion.finalChunk(0)));
                MockWorker.writeEvent(out, "[DONE]");
                out.close();
            } else {
                death.checkpoint();
                MockWorker.sendJson(res, Status.OK_200, completion.whole(0));
            }
            return;
        }
        Generation generation = new Generation(promptTokens, output);
        if (!engine.submit(generation)) {
            death.checkpoint();
            MockWorker.sendError(res, Status.SERVICE_UNAVAILABLE_503, "server_error",
                    "the engine's waiting queue is full (" + engine.settings().maxWaiting() + " requests)");
            return;
        }
        try {
            if (stream) {
                stream(worker, res, prompt, length, request, generation);
            } else {
                whole(worker, res, prompt, length, request, generation);
            }
        } finally {
            if (!generation.progress().over()) {
                engine.cancel(generation); // an error, interrupt or death on our side: free the engine too
            }
        }
    }

    private void whole(String worker, ServerResponse res, MockPrompt prompt, AnswerLength length,
                       Map<String, Object> request, Generation generation) throws IOException, InterruptedException {
        Generation.Progress p = generation.progress();
        while (!p.over()) {
            // Tokens never exceed the output length, so this returns when the request is over.
            p = generation.awaitBeyond(generation.outputTokens(), WAIT_SECONDS, TimeUnit.SECONDS);
        }
        death.checkpoint(); // a crash stops the engine too: that must not become a 503
        if (p.state() != Generation.State.FINISHED) {
            MockWorker.sendError(res, Status.SERVICE_UNAVAILABLE_503, "server_error", "the engine stopped");
            return;
        }
        MockCompletion completion = new MockCompletion(worker, defaultModel, prompt, length.finishReason(), request,
                generation.promptLength(), p.cachedTokens());
        MockWorker.sendJson(res, Status.OK_200, completion.whole(p.tokens()));
    }

    private void stream(String worker, ServerResponse res, MockPrompt prompt, AnswerLength length,
                        Map<String, Object> request, Generation generation) throws InterruptedException, IOException {
        Generation.Progress p = generation.progress();
        while (p.tokens() == 0 && !p.over()) {
            p = generation.awaitBeyond(0, WAIT_SECONDS, TimeUnit.SECONDS);
        }
        death.checkpoint();
        if (p.tokens() == 0) {
            MockWorker.sendError(res, Status.SERVICE_UNAVAILABLE_503, "server_error", "the engine stopped");
            return;
        }
        // Headers go out with the first token, so a refusal before it can still be a status code.
        streamHeaders(res);
        MockCompletion completion = new MockCompletion(worker, defaultModel, prompt, length.finishReason(), request,
                generation.promptLength(), p.cachedTokens());
        int written = 0;
        // Not try-with-resources: closing ends the chunked body cleanly, which a crash must not do.
        OutputStream out = res.outputStream();
        try {
            while (true) {
                for (; written < p.tokens(); written++) {
                    int index = written;
                    death.writeToken(() -> MockWorker.writeEvent(out, Json.MAPPER.asString(completion.chunk(index))));
                }
                if (p.over()) {
                    break;
                }
                p = generation.awaitBeyond(written, WAIT_SECONDS, TimeUnit.SECONDS);
            }
            death.checkpoint(); // a crash stops the engine too: the stream must not end cleanly then
            if (p.state() == Generation.State.FINISHED) {
                MockWorker.writeEvent(out, Json.MAPPER.asString(completion.finalChunk(written)));
                MockWorker.writeEvent(out, "[DONE]");
            }
            out.close();
        } catch (IOException | UncheckedIOException e) {
            // The client went away: the engine drops the request at its next step.
            engine.cancel(generation);
            LOG.log(System.Logger.Level.DEBUG, "{0}: stream aborted after {1} tokens: {2}", worker, written,
                    e.getMessage());
        }
    }

    private static void streamHeaders(ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
    }
}
