package dev.smg.api.config;

import java.time.Duration;

/**
 * Admission control settings (flags with upstream's names).
 *
 * @param maxConcurrent  hard cap on inference requests inside, 0 or less for none (-1)
 * @param queueSize      requests allowed to wait for a slot (100)
 * @param queueTimeout   longest wait for a slot before 408 (60 s)
 * @param ratePerSecond  token-bucket rate limit in requests per second, 0 for none (unset)
 * @param clusterWide    the rate limit is the whole mesh's, not this router's ({@code --cluster-rate-limit})
 * @param clusterMaxConcurrent the whole mesh's concurrency cap, 0 for none
 *                       ({@code --cluster-max-concurrent-requests}); each router's cap is its share
 */
public record AdmissionConfig(int maxConcurrent, int queueSize, Duration queueTimeout, double ratePerSecond,
                              boolean clusterWide, int clusterMaxConcurrent) {
    /** {@code ratePerSecond} when no rate limit is set. */
    public static final double NO_RATE_LIMIT = 0;
}
