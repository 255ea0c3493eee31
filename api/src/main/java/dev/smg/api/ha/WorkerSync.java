package dev.smg.api.ha;

import dev.smg.mesh.store.ReplicatedStore;
import dev.smg.mesh.store.StoreSnapshot;
import dev.smg.proto.ha.BreakerVerdict;
import dev.smg.proto.ha.HealthVerdict;
import dev.smg.proto.ha.WorkerSpecValue;
import dev.smg.router.replication.WorkerReplication;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Keeps this router's worker registry and the cluster's replicated one in step, both ways.
 * <ul>
 *   <li>A worker added or removed here (API or {@code --worker-urls}) is written to the store; one
 *       added or removed anywhere else is added to or removed from the local registry. The store is
 *       the truth: changes are applied by re-reading it, so order and duplicates do not matter.</li>
 *   <li>When this router's probes move a worker between ready and not ready, or its breaker opens,
 *       the verdict is written too, and every other router adopts it: a worker one router finds dead
 *       is avoided by all. Every router keeps probing, so there is no single prober to lose.</li>
 * </ul>
 * It is the router's {@link WorkerReplication} port over the mesh: the registry reports its own
 * changes here, and remote changes are applied on the HA loop (never the mesh loop, never a request
 * thread) through the registry's {@code adopt}/{@code forget}, which report nothing back. The one
 * echo left, a breaker forced open by a remote verdict, is held back by {@link #applyingRemote}.
 */
public final class WorkerSync implements WorkerReplication {
    private static final System.Logger LOG = System.getLogger(WorkerSync.class.getName());

    private final WorkerRegistry registry;
    private final ReplicatedStore store;
    private final String self;
    private final Duration breakerOpenFor;
    private final HaLoop applier;
    /** Verdicts carry the wall-clock time they were reached; an old breaker opening is not adopted. */
    private final LongSupplier wallClock;
    private final ThreadLocal<Boolean> applyingRemote = ThreadLocal.withInitial(() -> false);
    /** URLs this router has seen in the store: only those may be removed because the store lost them. */
    private final Set<WorkerUrl> seenInStore = new HashSet<>();
    /** The verdict last applied per worker and kind: each verdict is applied once. */
    private final Map<WorkerUrl, HealthVerdict> appliedHealth = new HashMap<>();
    private final Map<WorkerUrl, BreakerVerdict> appliedBreakers = new HashMap<>();

    public WorkerSync(WorkerRegistry registry, ReplicatedStore store, String self, Duration breakerOpenFor,
                      HaLoop loop, LongSupplier wallClock) {
        this.registry = registry;
        this.wallClock = wallClock;
        this.applier = loop;
        this.store = store;
        this.self = self;
        this.breakerOpenFor = breakerOpenFor;
    }

    /** @param reconcileEvery how often the whole store is re-applied, for lost events ({@code HaSettings}) */
    public void start(Duration reconcileEvery) {
        registry.replicateTo(this);
        store.subscribe((namespace, keys, snapshot) -> {
            if (namespace.equals(HaNamespaces.WORKERS.name()) || namespace.equals(HaNamespaces.HEALTH.name())
                    || namespace.equals(HaNamespaces.BREAKERS.name())) {
                applier.execute(() -> apply(namespace, keys));
            }
        });
        applier.every(reconcileEvery, this::reconcile);
    }

    /**
     * Registers this router's {@code --worker-urls} once it has caught up: a URL the cluster already
     * knows keeps the cluster's spec (models, labels, key) instead of being reset by a restart; an
     * unknown one is added, and so replicated.
     */
    public void registerConfigured(List<WorkerSpec> specs) {
        applier.execute(() -> {
            for (WorkerSpec spec : specs) {
                WorkerUrl url = spec.url();
                if (registry.find(url).isEmpty() && HaNamespaces.WORKERS.value(store.snapshot(), url).isEmpty()) {
                    try {
                        registry.add(spec);
                    } catch (IllegalStateException raced) {
                        // registered meanwhile (from the store): the cluster's spec stands
                    }
                }
            }
            reconcile();
        });
    }

    // ------------------------------------------------------------------ local -> store (the port)

    @Override
    public void breakerVerdict(WorkerUrl url, boolean open) {
        if (applyingRemote.get()) {
            return; // an opening adopted from another router's verdict
        }
        HaNamespaces.BREAKERS.put(store, url, BreakerVerdict.newBuilder()
                .setOpen(open).setBy(self).setAtMillis(wallClock.getAsLong()).build());
    }

    @Override
    public void registered(WorkerSpec workerSpec) {
        WorkerSpecValue spec = specValue(workerSpec);
        WorkerUrl key = workerSpec.url();
        Optional<WorkerSpecValue> stored = HaNamespaces.WORKERS.value(store.snapshot(), key);
        if (!stored.equals(Optional.of(spec))) {
            // Known before the write lands, so a removal elsewhere that overtakes it still applies here.
            applier.execute(() -> seenInStore.add(key));
            write(() -> HaNamespaces.WORKERS.put(store, key, spec), "registration of " + key);
        }
    }

    /**
     * A store write that must not be lost: when the mesh loop's inbox is full it is retried every
     * second (a dropped registration would stay local; a dropped removal would be undone by the next
     * reconcile).
     */
    private void write(BooleanSupplier attempt, String what) {
        if (!attempt.getAsBoolean()) {
            LOG.log(System.Logger.Level.WARNING, "mesh busy: {0} not replicated yet; retrying", what);
            applier.schedule(Duration.ofSeconds(1).toNanos(), () -> write(attempt, what));
        }
    }

    @Override
    public void deregistered(WorkerUrl key) {
        write(() -> HaNamespaces.WORKERS.remove(store, key), "removal of " + key);
        HaNamespaces.HEALTH.remove(store, key);
        HaNamespaces.BREAKERS.remove(store, key);
    }

    @Override
    public void healthVerdict(WorkerUrl url, boolean healthy) {
        HaNamespaces.HEALTH.put(store, url, HealthVerdict.newBuilder()
                .setHealthy(healthy).setBy(self).setAtMillis(wallClock.getAsLong()).build());
    }

    // ------------------------------------------------------------------ store -> local

    private void apply(String namespace, Set<String> keys) {
        StoreSnapshot snapshot = store.snapshot();
        applyingRemote.set(true);
        try {
            for (String storeKey : keys) {
                try {
                    if (namespace.equals(HaNamespaces.WORKERS.name())) {
                        HaNamespaces.WORKERS.key(storeKey).ifPresent(url -> applyWorker(snapshot, url));
                    } else if (namespace.equals(HaNamespaces.HEALTH.name())) {
                        HaNamespaces.HEALTH.key(storeKey).ifPresent(url -> applyHealth(snapshot, url));
                    } else {
                        HaNamespaces.BREAKERS.key(storeKey).ifPresent(url -> applyBreaker(snapshot, url));
                    }
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "replicated worker entry {0} not applied: {1}", storeKey,
                            e.getMessage());
                }
            }
        } finally {
            applyingRemote.set(false);
        }
    }

    private void applyWorker(StoreSnapshot snapshot, WorkerUrl url) {
        Optional<WorkerSpecValue> stored = HaNamespaces.WORKERS.value(snapshot, url);
        Optional<Worker> local = registry.find(url);
        if (stored.isEmpty()) {
            if (local.isPresent() && seenInStore.remove(url)) {
                local.get().drain();
                registry.forget(local.get().id());
                LOG.log(System.Logger.Level.INFO, "worker {0} removed (by another router)", url);
            }
            return;
        }
        seenInStore.add(url);
        WorkerSpec spec = spec(stored.get());
        if (local.isPresent() && local.get().spec().equals(spec)) {
            return;
        }
        if (local.isPresent() && local.get().reweigh(spec)) {
            LOG.log(System.Logger.Level.INFO, "worker {0}: weight {1} (set by another router)", url, spec.weight());
            return; // only the weight changed: taken in place, the worker keeps its status and in-flight count
        }
        if (local.isPresent()) {
            registry.forget(local.get().id()); // the spec changed elsewhere: the last writer's spec wins
        }
        try {
            registry.adopt(spec);
            LOG.log(System.Logger.Level.INFO, "worker {0} registered (by another router); probing it", url);
        } catch (IllegalStateException raced) {
            // added locally in the meantime: the local add is written to the store and wins or loses there
        }
    }

    // Verdicts are applied once each: re-applying on every reconcile would keep resetting this router's
    // own probe streaks, so only the verdict's author could ever change the worker's health again.

    private void applyHealth(StoreSnapshot snapshot, WorkerUrl url) {
        Optional<HealthVerdict> verdict = HaNamespaces.HEALTH.value(snapshot, url);
        if (verdict.isEmpty()) {
            appliedHealth.remove(url);
            return;
        }
        if (verdict.get().equals(appliedHealth.put(url, verdict.get())) || self.equals(verdict.get().getBy())) {
            return; // applied already, or our own verdict coming back
        }
        registry.find(url).ifPresent(worker -> {
            Worker.StatusChange change = worker.adoptHealth(verdict.get().getHealthy());
            if (change.changed()) {
                LOG.log(System.Logger.Level.INFO, "worker {0}: {1} -> {2} (verdict of {3})", worker,
                        change.before().wireName(), change.after().wireName(), verdict.get().getBy());
            }
        });
    }

    private void applyBreaker(StoreSnapshot snapshot, WorkerUrl url) {
        Optional<BreakerVerdict> verdict = HaNamespaces.BREAKERS.value(snapshot, url);
        if (verdict.isEmpty()) {
            appliedBreakers.remove(url);
            return;
        }
        if (verdict.get().equals(appliedBreakers.put(url, verdict.get())) || self.equals(verdict.get().getBy())) {
            return;
        }
        if (verdict.get().getOpen()
                && wallClock.getAsLong() - verdict.get().getAtMillis() < breakerOpenFor.toMillis()) {
            registry.find(url).ifPresent(worker -> worker.breaker().forceOpen());
        }
    }

    private void reconcile() {
        StoreSnapshot snapshot = store.snapshot();
        Set<String> keys = new HashSet<>(snapshot.get(HaNamespaces.WORKERS.namespace()).keySet());
        for (Worker w : registry.snapshot()) {
            keys.add(w.url().toString());
        }
        keys.removeIf(k -> HaNamespaces.WORKERS.key(k)
                .map(url -> HaNamespaces.WORKERS.value(snapshot, url).isEmpty() && !seenInStore.contains(url))
                .orElse(true));
        apply(HaNamespaces.WORKERS.name(), keys);
        apply(HaNamespaces.HEALTH.name(), snapshot.get(HaNamespaces.HEALTH.namespace()).keySet());
        apply(HaNamespaces.BREAKERS.name(), snapshot.get(HaNamespaces.BREAKERS.namespace()).keySet());
    }

    // ------------------------------------------------------------------ views

    /** The cluster's workers as the store holds them, with this router's view of each, for /ha/workers. */
    public List<Map<String, Object>> clusterWorkers() {
        StoreSnapshot snapshot = store.snapshot();
        Map<WorkerUrl, LwwTable.Entry<WorkerSpecValue>> workers = new TreeMap<>(
                java.util.Comparator.comparing(WorkerUrl::toString));
        workers.putAll(HaNamespaces.WORKERS.entries(snapshot));
        List<Map<String, Object>> out = new ArrayList<>();
        workers.forEach((url, entry) -> {
            WorkerSpecValue spec = entry.value();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("worker_id", WorkerRegistry.idFor(url));
            row.put("url", url.toString());
            row.put("models", List.copyOf(spec.getModelsList()));
            row.put("labels", new TreeMap<>(spec.getLabelsMap()));
            row.put("weight", weight(spec));
            Optional<Worker> local = registry.find(url);
            row.put("status", local.map(w -> w.status().wireName()).orElse("unknown"));
            row.put("health", HaNamespaces.HEALTH.value(snapshot, url).map(v -> verdictJson("healthy",
                    v.getHealthy(), v.getBy(), v.getAtMillis())).orElse(null));
            row.put("circuit_breaker", HaNamespaces.BREAKERS.value(snapshot, url).map(v -> verdictJson("state",
                    v.getOpen() ? "open" : "closed", v.getBy(), v.getAtMillis())).orElse(null));
            row.put("version", entry.writtenMillis());
            out.add(row);
        });
        return out;
    }

    private static Map<String, Object> verdictJson(String field, Object value, String by, long at) {
        Map<String, Object> json = new TreeMap<>();
        json.put(field, value);
        json.put("by", by);
        json.put("at", at);
        return json;
    }

    /** The spec as replicated: the worker's API key travels (peers must call it too), over the mesh only. */
    static WorkerSpecValue specValue(WorkerSpec spec) {
        return WorkerSpecValue.newBuilder().setUrl(spec.url().toString()).addAllModels(spec.models())
                .putAllLabels(spec.labels()).setApiKey(spec.apiKey().orElse(""))
                // The default weight stays off the wire: a spec without a weight encodes as before weights existed.
                .setWeight(spec.weight() == WorkerSpec.DEFAULT_WEIGHT ? 0 : spec.weight()).build();
    }

    private static int weight(WorkerSpecValue value) {
        return value.getWeight() == 0 ? WorkerSpec.DEFAULT_WEIGHT : value.getWeight();
    }

    static WorkerSpec spec(WorkerSpecValue value) {
        Map<String, String> labels = new LinkedHashMap<>(new TreeMap<>(value.getLabelsMap()));
        Optional<String> key = value.getApiKey().isEmpty() ? Optional.empty() : Optional.of(value.getApiKey());
        return new WorkerSpec(WorkerUrl.parse(value.getUrl()), List.copyOf(value.getModelsList()), key, labels,
                weight(value));
    }
}
