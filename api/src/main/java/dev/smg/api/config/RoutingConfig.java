package dev.smg.api.config;

import dev.smg.router.policy.AssignmentMode;
import dev.smg.router.policy.CacheAwareSettings;

import java.time.Duration;
import java.util.Map;

/**
 * Routing policy settings from the command line.
 *
 * @param policy           default policy ({@code --policy}, cache_aware)
 * @param modelPolicies    per-model overrides ({@code --model-policy model=policy})
 * @param cacheAware       cache-aware thresholds and block size
 * @param maxTreeChars     per-model bound of the cache-aware tree in prompt characters ({@code --max-tree-size})
 * @param evictionInterval period of policy housekeeping ({@code --eviction-interval-secs}, 120 s)
 * @param maxIdle          sticky sessions idle this long are forgotten ({@code --max-idle-secs}, 4 h)
 * @param assignmentMode   how sticky sessions place a new key
 * @param routingKeyField  body field used as routing key when the header is absent ({@code --routing-key-field})
 */
public record RoutingConfig(String policy, Map<String, String> modelPolicies, CacheAwareSettings cacheAware,
                            long maxTreeChars, Duration evictionInterval, Duration maxIdle,
                            AssignmentMode assignmentMode, String routingKeyField) {
    public RoutingConfig {
        modelPolicies = Map.copyOf(modelPolicies);
    }
}
