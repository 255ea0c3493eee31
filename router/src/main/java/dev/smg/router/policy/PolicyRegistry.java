package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which policy routes which model: a default ({@code --policy}) and per-model overrides
 * ({@code --model-policy model=policy}). Routing threads read one immutable table through a
 * volatile field; a replacement (the cluster agreed on another policy) publishes a new table.
 * Policies keep their own state.
 */
public final class PolicyRegistry {
    /** The key of the default policy wherever policies are named by model. */
    public static final String DEFAULT = "*";

    private record Table(RoutingPolicy defaultPolicy, Map<String, RoutingPolicy> byModel) {
    }

    private volatile Table table;

    public PolicyRegistry(RoutingPolicy defaultPolicy, Map<String, RoutingPolicy> byModel) {
        this.table = new Table(defaultPolicy, Map.copyOf(byModel));
    }

    public static PolicyRegistry of(RoutingPolicy policy) {
        return new PolicyRegistry(policy, Map.of());
    }

    public RoutingPolicy forModel(String model) {
        Table t = table;
        return model == null ? t.defaultPolicy : t.byModel.getOrDefault(model, t.defaultPolicy);
    }

    public RoutingPolicy defaultPolicy() {
        return table.defaultPolicy;
    }

    /** Model id (or {@link #DEFAULT}) to its policy. */
    public Map<String, RoutingPolicy> byKey() {
        Table t = table;
        Map<String, RoutingPolicy> all = new HashMap<>(t.byModel);
        all.put(DEFAULT, t.defaultPolicy);
        return all;
    }

    /** Routes {@code key} (a model id, or {@link #DEFAULT}) with {@code policy} from now on. */
    public synchronized void replace(String key, RoutingPolicy policy) {
        Table t = table;
        if (key.equals(DEFAULT)) {
            table = new Table(policy, t.byModel);
        } else {
            Map<String, RoutingPolicy> next = new HashMap<>(t.byModel);
            next.put(key, policy);
            table = new Table(t.defaultPolicy, Map.copyOf(next));
        }
    }

    public List<RoutingPolicy> all() {
        Table t = table;
        List<RoutingPolicy> all = new ArrayList<>(t.byModel.values());
        all.add(t.defaultPolicy);
        return all;
    }

    public void forget(Worker worker) {
        all().forEach(p -> p.forget(worker));
    }

    public void maintain() {
        all().forEach(RoutingPolicy::maintain);
    }
}
