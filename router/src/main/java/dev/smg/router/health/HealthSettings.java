package dev.smg.router.health;

import java.time.Duration;

/**
 * Worker health probing (flags {@code --health-*}; defaults as upstream's).
 *
 * @param interval         time between probes of a registered worker (60 s)
 * @param pendingInterval  time between probes of a worker not yet proven healthy (min(interval, 5 s)),
 *                         so a worker that is still starting joins soon after it comes up
 * @param timeout          probe timeout (5 s)
 * @param failureThreshold consecutive failures that take a READY worker out of rotation (3)
 * @param successThreshold consecutive successes that bring a NOT_READY worker back (2)
 * @param endpoint         path probed (/health)
 * @param enabled          false: workers are trusted as READY on registration and never probed
 */
public record HealthSettings(Duration interval, Duration pendingInterval, Duration timeout, int failureThreshold,
                             int successThreshold, String endpoint, boolean enabled) {
    public HealthSettings {
        if (failureThreshold < 1 || successThreshold < 1) {
            throw new IllegalArgumentException("health thresholds must be at least 1");
        }
        if (!endpoint.startsWith("/")) {
            throw new IllegalArgumentException("health endpoint must start with /");
        }
    }

    public static HealthSettings of(Duration interval, Duration timeout, int failureThreshold, int successThreshold,
                                    String endpoint, boolean enabled) {
        Duration pending = interval.compareTo(Duration.ofSeconds(5)) < 0 ? interval : Duration.ofSeconds(5);
        return new HealthSettings(interval, pending, timeout, failureThreshold, successThreshold, endpoint, enabled);
    }
}
