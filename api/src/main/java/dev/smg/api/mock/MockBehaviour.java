package dev.smg.api.mock;

/**
 * How a mock worker answers.
 *
 * @param model        model id it serves and reports
 * @param genMillis    total time to produce one response; a stream spreads it evenly over its chunks
 * @param streamChunks content chunks per streamed response (each counts as one completion token)
 */
public record MockBehaviour(String model, long genMillis, int streamChunks) {
}
