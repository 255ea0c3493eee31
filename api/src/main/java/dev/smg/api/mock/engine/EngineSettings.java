package dev.smg.api.mock.engine;

/**
 * The realistic engine's parameters and its cost model: how long one scheduler step takes.
 *
 * @param prefillTps     prompt tokens the engine prefills per second
 * @param decodeBaseMs   fixed cost of one step, ms
 * @param decodePerReqMs added cost per request that emits a token in the step, ms
 * @param prefillChunk   prompt tokens prefilled per step, over all running requests
 * @param maxRunning     requests in the running batch at most
 * @param kvTokens       KV cache capacity in tokens
 * @param blockSize      tokens per prefix-cache block
 * @param prefixCache    whether full prompt blocks are cached and reused
 * @param outputTokens   output length of a request that names none
 * @param maxWaiting     requests waiting for admission at most; more are refused (HTTP 503)
 */
public record EngineSettings(double prefillTps, double decodeBaseMs, double decodePerReqMs, int prefillChunk,
                             int maxRunning, int kvTokens, int blockSize, boolean prefixCache, int outputTokens,
                             int maxWaiting) {
    /** Eviction starts when used KV exceeds this share of the capacity ... */
    public static final double HIGH_WATERMARK = 0.92;
    /** ... and frees unpinned blocks until used KV is at most this share. */
    public static final double LOW_WATERMARK = 0.85;
    /** Context length the mock advertises; longer prompt + output is refused (HTTP 400). */
    public static final int MAX_MODEL_LEN = 32768;

    public EngineSettings {
        require(prefillTps > 0 && Double.isFinite(prefillTps), "prefillTps must be > 0");
        require(decodeBaseMs >= 0 && Double.isFinite(decodeBaseMs), "decodeBaseMs must be >= 0");
        require(decodePerReqMs >= 0 && Double.isFinite(decodePerReqMs), "decodePerReqMs must be >= 0");
        require(prefillChunk >= 1, "prefillChunk must be >= 1");
        require(maxRunning >= 1, "maxRunning must be >= 1");
        require(blockSize >= 1, "blockSize must be >= 1");
        require(kvTokens >= blockSize, "kvTokens must hold at least one block");
        require(outputTokens >= 1, "outputTokens must be >= 1");
        require(maxWaiting >= 1, "maxWaiting must be >= 1");
    }

    /** Upstream's defaults; a waiting queue of 4096. */
    public static EngineSettings defaults() {
        return new EngineSettings(8000, 6.0, 0.35, 2048, 256, 524_288, 16, true, 8, 4096);
    }

    /**
     * Duration of one busy step in nanoseconds: the slower of prefilling {@code prefillTokens} and
     * one decode pass over {@code decoding} requests, at least 1 ms.
     */
    public long stepNanos(int prefillTokens, int decoding) {
        double prefillSeconds = prefillTokens / prefillTps;
        double decodeSeconds = (decodeBaseMs + decodePerReqMs * decoding) / 1000.0;
        double seconds = Math.max(prefillSeconds, decodeSeconds);
        return Math.max(1_000_000L, Math.round(seconds * 1e9));
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
