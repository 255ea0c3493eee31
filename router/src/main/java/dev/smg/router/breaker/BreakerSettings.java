package dev.smg.router.breaker;

import java.time.Duration;

/**
 * Circuit breaker tuning (flags {@code --cb-*}; defaults as upstream's CLI).
 *
 * @param failureThreshold consecutive failures that open the breaker (10)
 * @param successThreshold consecutive half-open successes that close it (3)
 * @param openTimeout      time open before trial requests are let through (60 s)
 * @param window           a failure streak older than this is forgotten (120 s); upstream accepted
 *                         this setting and ignored it
 * @param halfOpenTrials   requests allowed in flight at once while half-open (1): a recovering worker
 *                         sees a trickle, not the whole load
 * @param enabled          false turns every breaker into a pass-through
 */
public record BreakerSettings(int failureThreshold, int successThreshold, Duration openTimeout, Duration window,
                              int halfOpenTrials, boolean enabled) {
    public static final BreakerSettings DEFAULTS =
            new BreakerSettings(10, 3, Duration.ofSeconds(60), Duration.ofSeconds(120), 1, true);

    public BreakerSettings {
        if (failureThreshold < 1 || successThreshold < 1 || halfOpenTrials < 1) {
            throw new IllegalArgumentException("breaker thresholds must be at least 1");
        }
        if (openTimeout.isNegative() || openTimeout.isZero() || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("breaker durations must be positive");
        }
    }
}
