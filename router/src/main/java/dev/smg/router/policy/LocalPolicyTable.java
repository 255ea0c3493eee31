package dev.smg.router.policy;

import dev.smg.router.replication.PolicyTable;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The router's policy table: which {@link PolicySpec} each model key runs, kept beside the
 * {@link PolicyRegistry} that routing reads. Adopting a spec builds the policy with the router's
 * {@link PolicyFactory} and swaps it in; requests in flight finish with the policy they took.
 */
public final class LocalPolicyTable implements PolicyTable {
    private final PolicyRegistry registry;
    private final PolicyFactory factory;
    private final Map<String, PolicySpec> specs = new ConcurrentHashMap<>();

    /** @param configured the specs the registry was built with (the flags') */
    public LocalPolicyTable(PolicyRegistry registry, PolicyFactory factory, Map<String, PolicySpec> configured) {
        this.registry = registry;
        this.factory = factory;
        this.specs.putAll(configured);
    }

    @Override
    public Map<String, PolicySpec> specs() {
        return Map.copyOf(specs);
    }

    /** Rare (a policy change in the cluster), so writers simply take turns. */
    @Override
    public synchronized boolean adopt(String key, PolicySpec spec) {
        if (spec.equals(specs.get(key))) {
            return false;
        }
        registry.replace(key, factory.create(spec));
        specs.put(key, spec);
        return true;
    }
}
