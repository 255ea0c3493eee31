package dev.smg.router.retry;

import java.time.Duration;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Retry tuning (flags {@code --retry-*}; defaults as upstream's).
 *
 * @param maxAttempts    total attempts, the first included (5)
 * @param initialBackoff delay before the second attempt (50 ms)
 * @param maxBackoff     cap on any one delay (30 s)
 * @param multiplier     growth per attempt (1.5)
 * @param jitter         each delay is scaled by a random factor in [1 - jitter, 1 + jitter] (0.2)
 */
public record RetrySettings(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier,
                            double jitter) {
    /** Statuses that say "this worker could not do it now; another might". */
    public static final Set<Integer> RETRYABLE_STATUSES = Set.of(408, 429, 500, 502, 503, 504);
    public static final RetrySettings DEFAULTS =
            new RetrySettings(5, Duration.ofMillis(50), Duration.ofSeconds(30), 1.5, 0.2);

    public RetrySettings {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("at least one attempt");
        }
        if (multiplier < 1.0 || jitter < 0 || jitter > 1 || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("bad backoff settings");
        }
    }

    public static boolean isRetryable(int status) {
        return RETRYABLE_STATUSES.contains(status);
    }

    /** Delay before retry number {@code retry} (1 = the second attempt). */
    public Duration backoff(int retry, RandomGenerator random) {
        double base = initialBackoff.toNanos() * Math.pow(multiplier, retry - 1);
        double capped = Math.min(base, maxBackoff.toNanos());
        double factor = 1.0 + (jitter == 0 ? 0 : (random.nextDouble() * 2 - 1) * jitter);
        return Duration.ofNanos(Math.max(0, Math.round(capped * factor)));
    }
}
