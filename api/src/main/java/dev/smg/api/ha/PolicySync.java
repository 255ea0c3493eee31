package dev.smg.api.ha;

import dev.smg.mesh.store.ReplicatedStore;
import dev.smg.proto.ha.PolicyValue;
import dev.smg.router.policy.AssignmentMode;
import dev.smg.router.policy.CacheAwareSettings;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.PolicySpec;
import dev.smg.router.replication.PolicyTable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One routing policy per model across the cluster. A router writes its configured policies (flags)
 * to the store when it starts, if they differ from the cluster's; every router adopts what the
 * store holds. Last writer wins: in a rolling upgrade that changes {@code --policy}, the first
 * upgraded router switches the whole cluster, and every router logs the switch.
 */
public final class PolicySync {
    private static final System.Logger LOG = System.getLogger(PolicySync.class.getName());

    private final PolicyTable table;
    private final Map<String, PolicySpec> configured;
    private final ReplicatedStore store;
    private final String self;
    private final HaLoop applier;

    /** @param configured this router's flags' policies, published once caught up where the cluster's differ */
    public PolicySync(PolicyTable table, Map<String, PolicySpec> configured, ReplicatedStore store, String self,
                      HaLoop loop) {
        this.table = table;
        this.configured = Map.copyOf(configured);
        this.store = store;
        this.self = self;
        this.applier = loop;
    }

    public void start() {
        store.subscribe((namespace, keys, snapshot) -> {
            if (namespace.equals(HaNamespaces.POLICIES.name())) {
                applier.execute(() -> keys.forEach(k -> HaNamespaces.POLICIES.key(k).ifPresent(this::apply)));
            }
        });
    }

    /** Writes this router's configured policies where the cluster's differ (after catching up). */
    public void publishConfigured() {
        configured.forEach((key, spec) -> {
            boolean same = HaNamespaces.POLICIES.value(store.snapshot(), key).map(v -> spec.equals(spec(v)))
                    .orElse(false);
            if (!same) {
                HaNamespaces.POLICIES.put(store, key, value(spec, self));
            }
        });
    }

    private void apply(String key) {
        HaNamespaces.POLICIES.value(store.snapshot(), key).ifPresent(value -> {
            try {
                PolicySpec spec = spec(value);
                if (table.adopt(key, spec)) {
                    LOG.log(System.Logger.Level.INFO, "policy for {0} is now {1} (set by {2})",
                            key.equals(PolicyRegistry.DEFAULT) ? "the default" : "model " + key, spec.name(),
                            value.getSetBy());
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "replicated policy for {0} not applied: {1}", key, e.getMessage());
            }
        });
    }

    /** The cluster's policies, for /ha/policies. */
    public List<Map<String, Object>> clusterPolicies() {
        Map<String, LwwTable.Entry<PolicyValue>> stored = new TreeMap<>(HaNamespaces.POLICIES.entries(store.snapshot()));
        List<Map<String, Object>> out = new ArrayList<>();
        stored.forEach((key, entry) -> {
            PolicyValue v = entry.value();
            Map<String, Object> config = new TreeMap<>();
            config.put("cache_threshold", v.getCacheThreshold());
            config.put("balance_abs_threshold", v.getBalanceAbsThreshold());
            config.put("balance_rel_threshold", v.getBalanceRelThreshold());
            config.put("block_chars", v.getBlockChars());
            config.put("assignment_mode", v.getAssignmentMode());
            config.put("max_idle_secs", v.getMaxIdleSecs());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model_id", key);
            row.put("policy_type", v.getPolicy());
            row.put("config", config);
            row.put("version", entry.writtenMillis());
            row.put("set_by", v.getSetBy());
            out.add(row);
        });
        return out;
    }

    /** The replicated form of a policy: its name and every parameter, and who wrote it. */
    private static PolicyValue value(PolicySpec spec, String by) {
        return PolicyValue.newBuilder()
                .setPolicy(spec.name())
                .setCacheThreshold(spec.cacheAware().cacheThreshold())
                .setBalanceAbsThreshold(spec.cacheAware().balanceAbs())
                .setBalanceRelThreshold(spec.cacheAware().balanceRel())
                .setBlockChars(spec.cacheAware().blockChars())
                .setAssignmentMode(spec.assignment().name().toLowerCase(Locale.ROOT))
                .setMaxIdleSecs(spec.maxIdle().toSeconds())
                .setSetBy(by)
                .build();
    }

    static PolicySpec spec(PolicyValue v) {
        if (v.getPolicy().isEmpty()) {
            throw new IllegalArgumentException("policy without a name");
        }
        return new PolicySpec(v.getPolicy(),
                new CacheAwareSettings(v.getCacheThreshold(), v.getBalanceAbsThreshold(), v.getBalanceRelThreshold(),
                        v.getBlockChars()),
                AssignmentMode.parse(v.getAssignmentMode()),
                Duration.ofSeconds(v.getMaxIdleSecs()));
    }
}
