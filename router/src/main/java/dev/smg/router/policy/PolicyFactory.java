package dev.smg.router.policy;

import dev.smg.router.tree.CacheIndex;

import java.time.Duration;

/** Builds policies from their command-line names. */
public final class PolicyFactory {

    private final CacheIndex cacheIndex;
    private final CacheAwareSettings cacheAware;
    private final AssignmentMode assignmentMode;
    private final Duration maxIdle;

    public PolicyFactory(CacheIndex cacheIndex, CacheAwareSettings cacheAware, AssignmentMode assignmentMode,
                         Duration maxIdle) {
        this.cacheIndex = cacheIndex;
        this.cacheAware = cacheAware;
        this.assignmentMode = assignmentMode;
        this.maxIdle = maxIdle;
    }

    /** "consistent_hashing" (upstream's spelling) is accepted for "consistent_hash". */
    public RoutingPolicy create(String name) {
        return switch (name) {
            case "random" -> new RandomPolicy();
            case "round_robin" -> new RoundRobinPolicy();
            case "power_of_two" -> new PowerOfTwoPolicy();
            case "cache_aware" -> new CacheAwarePolicy(cacheIndex, cacheAware);
            case "consistent_hash", "consistent_hashing" -> new ConsistentHashPolicy();
            case "manual" -> new ManualPolicy(assignmentMode, maxIdle);
            default -> throw new IllegalArgumentException("unknown policy " + name);
        };
    }
}
