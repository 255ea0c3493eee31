package dev.smg.api.mock;

import dev.smg.api.mock.engine.EngineSettings;

import java.util.Optional;

/**
 * How a mock worker answers.
 *
 * @param model        model id it serves and reports
 * @param genMillis    canned: total time to produce one response; a stream spreads it evenly over its chunks
 * @param streamChunks canned: content chunks per streamed response (each counts as one completion token)
 * @param apiKey       when present, generation requests need {@code Authorization: Bearer <key>}
 * @param engine       when present, answers come from a simulated continuous-batching engine with
 *                     these settings instead of the canned timing ({@code --engine realistic})
 */
public record MockBehaviour(String model, long genMillis, int streamChunks, Optional<String> apiKey,
                            Optional<EngineSettings> engine) {
    public MockBehaviour(String model, long genMillis, int streamChunks) {
        this(model, genMillis, streamChunks, Optional.empty());
    }

    public MockBehaviour(String model, long genMillis, int streamChunks, Optional<String> apiKey) {
        this(model, genMillis, streamChunks, apiKey, Optional.empty());
    }

    /** A worker backed by the realistic engine. */
    public static MockBehaviour realistic(String model, EngineSettings engine) {
        return new MockBehaviour(model, 0, 1, Optional.empty(), Optional.of(engine));
    }
}
