package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which policy routes which model: a default ({@code --policy}) and per-model overrides
 * ({@code --model-policy model=policy}). Built once at start; policies keep their own state.
 */
public final class PolicyRegistry {
    private final RoutingPolicy defaultPolicy;
    private final Map<String, RoutingPolicy> byModel;

    public PolicyRegistry(RoutingPolicy defaultPolicy, Map<String, RoutingPolicy> byModel) {
        this.defaultPolicy = defaultPolicy;
        this.byModel = Map.copyOf(byModel);
    }

    public static PolicyRegistry of(RoutingPolicy policy) {
        return new PolicyRegistry(policy, Map.of());
    }

    public RoutingPolicy forModel(String model) {
        return model == null ? defaultPolicy : byModel.getOrDefault(model, defaultPolicy);
    }

    public RoutingPolicy defaultPolicy() {
        return defaultPolicy;
    }

    public List<RoutingPolicy> all() {
        List<RoutingPolicy> all = new ArrayList<>(byModel.values());
        all.add(defaultPolicy);
        return all;
    }

    public void forget(Worker worker) {
        all().forEach(p -> p.forget(worker));
    }

    public void maintain() {
        all().forEach(RoutingPolicy::maintain);
    }
}
