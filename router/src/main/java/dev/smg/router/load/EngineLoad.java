package dev.smg.router.load;

/**
 * A worker's load as its engine reports it (SGLang {@code /v1/loads} or {@code /get_load}, vLLM or
 * SGLang {@code /metrics}), summed over its data-parallel ranks.
 *
 * @param running requests in the running batch
 * @param waiting requests accepted and queued, not yet running
 * @param kvUsage share of the KV cache in use, 0..1 (the mean over ranks); NaN when the engine does not say
 */
public record EngineLoad(int running, int waiting, double kvUsage) {
    public EngineLoad {
        if (running < 0 || waiting < 0) {
            throw new IllegalArgumentException("negative request count: running " + running + ", waiting " + waiting);
        }
        if (!Double.isNaN(kvUsage)) {
            kvUsage = Math.max(0, Math.min(1, kvUsage));
        }
    }

    public boolean kvKnown() {
        return !Double.isNaN(kvUsage);
    }
}
