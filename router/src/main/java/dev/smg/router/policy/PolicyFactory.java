package dev.smg.router.policy;

import java.util.List;

/** Builds a policy from its command-line name. */
public final class PolicyFactory {
    public static final List<String> NAMES = List.of("random", "round_robin");

    private PolicyFactory() {
    }

    public static RoutingPolicy create(String name) {
        return switch (name) {
            case "random" -> new RandomPolicy();
            case "round_robin" -> new RoundRobinPolicy();
            default -> throw new IllegalArgumentException("unknown policy " + name);
        };
    }
}
