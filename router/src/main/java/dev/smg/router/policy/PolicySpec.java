package dev.smg.router.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * A policy and its parameters: what a router's flags say, and what routers replicate so that a
 * cluster routes one model the same way on every node.
 *
 * @param name       policy name ({@link PolicyFactory} names)
 * @param cacheAware cache_aware thresholds
 * @param assignment manual: how a new routing key is placed
 * @param maxIdle    manual: idle sessions forgotten after this
 */
public record PolicySpec(String name, CacheAwareSettings cacheAware, AssignmentMode assignment, Duration maxIdle) {
    public PolicySpec {
        Objects.requireNonNull(name);
        Objects.requireNonNull(cacheAware);
        Objects.requireNonNull(assignment);
        Objects.requireNonNull(maxIdle);
        name = name.equals("consistent_hashing") ? "consistent_hash" : name;
    }
}
