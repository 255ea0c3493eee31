package dev.smg.api.mock.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The engine's load at one moment, as {@code GET /v1/loads} reports it.
 *
 * @param running               requests in the running batch
 * @param waiting               requests accepted and not yet admitted
 * @param waitingUncachedTokens prompt tokens of waiting requests not found in the prefix cache (at enqueue)
 * @param usedTokens            KV tokens in use: cached blocks plus what running requests hold outside them
 * @param maxTotalTokens        KV capacity in tokens
 * @param genThroughput         output tokens per second, EWMA (alpha 0.3) over busy steps; 0 while idle
 * @param cacheHitRate          cached / prompt tokens at admission, EWMA (alpha 0.2)
 * @param maxRunning            running batch limit
 * @param finished              requests that produced all their tokens, since start
 * @param dropped               requests dropped because their client went away, since start
 * @param rejected              requests refused because the waiting queue was full, since start
 */
public record LoadSnapshot(int running, int waiting, long waitingUncachedTokens, long usedTokens, int maxTotalTokens,
                           double genThroughput, double cacheHitRate, int maxRunning, long finished, long dropped,
                           long rejected) {

    public double tokenUsage() {
        return (double) usedTokens / maxTotalTokens;
    }

    public LoadSnapshot withQueue(int waitingNow, long rejectedNow) {
        return new LoadSnapshot(running, waitingNow, waitingUncachedTokens, usedTokens, maxTotalTokens, genThroughput,
                cacheHitRate, maxRunning, finished, dropped, rejectedNow);
    }

    /** One entry of the {@code loads} array of {@code /v1/loads}, SGLang's field names first. */
    public Map<String, Object> toJson() {
        Map<String, Object> load = new LinkedHashMap<>();
        load.put("dp_rank", 0);
        load.put("num_running_reqs", running);
        load.put("num_waiting_reqs", waiting);
        load.put("num_waiting_uncached_tokens", waitingUncachedTokens);
        load.put("num_total_reqs", running + waiting);
        load.put("num_used_tokens", usedTokens);
        load.put("max_total_num_tokens", maxTotalTokens);
        load.put("token_usage", tokenUsage());
        load.put("gen_throughput", genThroughput);
        load.put("cache_hit_rate", cacheHitRate);
        load.put("utilization", (double) running / maxRunning);
        load.put("max_running_requests", maxRunning);
        load.put("num_finished_reqs", finished);
        load.put("num_dropped_reqs", dropped);
        load.put("num_rejected_reqs", rejected);
        return load;
    }
}
