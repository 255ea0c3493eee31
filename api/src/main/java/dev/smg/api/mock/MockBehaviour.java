package dev.smg.api.mock;

import java.util.Optional;

/**
 * How a mock worker answers.
 *
 * @param model        model id it serves and reports
 * @param genMillis    total time to produce one response; a stream spreads it evenly over its chunks
 * @param streamChunks content chunks per streamed response (each counts as one completion token)
 * @param apiKey       when present, generation requests need {@code Authorization: Bearer <key>}
 */
public record MockBehaviour(String model, long genMillis, int streamChunks, Optional<String> apiKey) {
    public MockBehaviour(String model, long genMillis, int streamChunks) {
        this(model, genMillis, streamChunks, Optional.empty());
    }
}
