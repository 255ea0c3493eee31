package dev.smg.api.ha;

import dev.smg.api.json.Json;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.store.ReplicatedStore;
import dev.smg.router.policy.AssignmentMode;
import dev.smg.router.policy.CacheAwareSettings;
import dev.smg.router.policy.PolicyFactory;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.PolicySpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One routing policy per model across the cluster. A router writes its configured policies (flags)
 * to the store when it starts, if they differ from the cluster's; every router adopts what the
 * store holds. Last writer wins: in a rolling upgrade that changes {@code --policy}, the first
 * upgraded router switches the whole cluster, and every router logs the switch.
 */
public final class PolicySync implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PolicySync.class.getName());

    private final PolicyRegistry policies;
    private final PolicyFactory factory;
    private final Map<String, PolicySpec> configured;
    private final ReplicatedStore store;
    private final String self;
    private final Map<String, PolicySpec> current = new HashMap<>(); // applier thread only
    private final ExecutorService applier = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("smg-ha-policies").factory());

    public PolicySync(PolicyRegistry policies, PolicyFactory factory, Map<String, PolicySpec> configured,
                      ReplicatedStore store, String self) {
        this.policies = policies;
        this.factory = factory;
        this.configured = Map.copyOf(configured);
        this.store = store;
        this.self = self;
        current.putAll(configured);
    }

    public void start() {
        store.subscribe((namespace, keys, snapshot) -> {
            if (namespace.equals(HaNamespaces.POLICIES.name())) {
                applier.execute(() -> keys.forEach(this::apply));
            }
        });
    }

    /** Writes this router's configured policies where the cluster's differ (after catching up). */
    public void publishConfigured() {
        CrdtMap<String, LwwRegister<String>> stored = store.snapshot().get(HaNamespaces.POLICIES);
        configured.forEach((key, spec) -> {
            boolean same = stored.get(key).map(r -> r.value() != null && spec.equals(parse(r.value()))).orElse(false);
            if (!same) {
                store.put(HaNamespaces.POLICIES, key, json(spec, self));
            }
        });
    }

    private void apply(String key) {
        store.snapshot().get(HaNamespaces.POLICIES).get(key).ifPresent(register -> {
            try {
                PolicySpec spec = parse(register.value());
                if (!spec.equals(current.get(key))) {
                    policies.replace(key, factory.create(spec));
                    current.put(key, spec);
                    LOG.log(System.Logger.Level.INFO, "policy for {0} is now {1} (set by {2})",
                            key.equals(PolicyRegistry.DEFAULT) ? "the default" : "model " + key, spec.name(),
                            Json.object(register.value()).get("by"));
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "replicated policy for {0} not applied: {1}", key, e.getMessage());
            }
        });
    }

    /** The cluster's policies, for /ha/policies. */
    public List<Map<String, Object>> clusterPolicies() {
        CrdtMap<String, LwwRegister<String>> stored = store.snapshot().get(HaNamespaces.POLICIES);
        Set<String> keys = new TreeSet<>(stored.keySet());
        List<Map<String, Object>> out = new ArrayList<>();
        for (String key : keys) {
            stored.get(key).filter(r -> r.value() != null).ifPresent(r -> {
                Map<String, Object> config = new LinkedHashMap<>(Json.object(r.value()));
                Object by = config.remove("by");
                Object name = config.remove("policy");
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model_id", key);
                row.put("policy_type", name);
                row.put("config", config);
                row.put("version", r.stamp().wallMillis());
                row.put("set_by", by);
                out.add(row);
            });
        }
        return out;
    }

    /** The replicated form of a policy: its name and every parameter, and who wrote it. */
    private static String json(PolicySpec spec, String by) {
        Map<String, Object> json = new TreeMap<>();
        json.put("policy", spec.name());
        json.put("cache_threshold", spec.cacheAware().cacheThreshold());
        json.put("balance_abs_threshold", spec.cacheAware().balanceAbs());
        json.put("balance_rel_threshold", spec.cacheAware().balanceRel());
        json.put("block_chars", spec.cacheAware().blockChars());
        json.put("assignment_mode", spec.assignment().name().toLowerCase(Locale.ROOT));
        json.put("max_idle_secs", spec.maxIdle().toSeconds());
        json.put("by", by);
        return Json.text(json);
    }

    static PolicySpec parse(String text) {
        Map<String, Object> json = Json.object(text);
        return new PolicySpec(String.valueOf(json.get("policy")),
                new CacheAwareSettings(number(json, "cache_threshold").doubleValue(),
                        number(json, "balance_abs_threshold").intValue(),
                        number(json, "balance_rel_threshold").doubleValue(),
                        number(json, "block_chars").intValue()),
                AssignmentMode.parse(String.valueOf(json.get("assignment_mode"))),
                Duration.ofSeconds(number(json, "max_idle_secs").longValue()));
    }

    private static Number number(Map<String, Object> json, String field) {
        if (json.get(field) instanceof Number n) {
            return n;
        }
        throw new IllegalArgumentException("policy field " + field + " missing");
    }

    @Override
    public void close() {
        applier.shutdownNow();
    }
}
