package dev.smg.api.ha;

import dev.smg.api.json.Json;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.HlcTimestamp;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.store.ReplicatedStore;
import dev.smg.mesh.store.StoreSnapshot;
import dev.smg.router.breaker.CircuitBreaker;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerStatus;
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
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

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
 * Remote changes are applied on one thread of its own (never the mesh loop, never a request
 * thread); while it applies them, the registry's listeners see {@link #applyingRemote} and do not
 * echo the change back into the store.
 */
public final class WorkerSync implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerSync.class.getName());
    private static final Duration RECONCILE_EVERY = Duration.ofSeconds(30);

    private final WorkerRegistry registry;
    private final ReplicatedStore store;
    private final String self;
    private final Duration breakerOpenFor;
    private final ScheduledExecutorService applier = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("smg-ha-workers").factory());
    private final ThreadLocal<Boolean> applyingRemote = ThreadLocal.withInitial(() -> false);
    /** URLs this router has seen in the store: only those may be removed because the store lost them. */
    private final Set<String> seenInStore = new HashSet<>();
    /** Stamp of the verdict last applied per worker_state key: each verdict is applied once. */
    private final Map<String, HlcTimestamp> appliedVerdicts = new HashMap<>();

    public WorkerSync(WorkerRegistry registry, ReplicatedStore store, String self, Duration breakerOpenFor) {
        this.registry = registry;
        this.store = store;
        this.self = self;
        this.breakerOpenFor = breakerOpenFor;
    }

    public void start() {
        registry.onAdd(this::addedHere);
        registry.onRemove(this::removedHere);
        registry.onHealthChange((worker, change) -> healthChangedHere(worker, change.after()));
        store.subscribe((namespace, keys, snapshot) -> {
            if (namespace.equals(HaNamespaces.WORKERS.name()) || namespace.equals(HaNamespaces.WORKER_STATE.name())) {
                applier.execute(() -> apply(namespace, keys));
            }
        });
        applier.scheduleWithFixedDelay(this::reconcile, RECONCILE_EVERY.toMillis(), RECONCILE_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Re-reads the whole store and applies it (after a catch-up, and periodically for lost events). */
    public void reconcileSoon() {
        applier.execute(this::reconcile);
    }

    /**
     * Registers this router's {@code --worker-urls} once it has caught up: a URL the cluster already
     * knows keeps the cluster's spec (models, labels, key) instead of being reset by a restart; an
     * unknown one is added, and so replicated.
     */
    public void registerConfigured(List<WorkerUrl> urls) {
        applier.execute(() -> {
            for (WorkerUrl url : urls) {
                if (registry.find(url).isEmpty() && value(store.snapshot(), url.toString()).isEmpty()) {
                    try {
                        registry.add(WorkerSpec.of(url));
                    } catch (IllegalStateException raced) {
                        // registered meanwhile (from the store): the cluster's spec stands
                    }
                }
            }
            reconcile();
        });
    }

    /** The registry's breaker observer calls this for every transition. */
    public void breakerChanged(Worker worker, CircuitBreaker.State to) {
        if (applyingRemote.get() || to == CircuitBreaker.State.HALF_OPEN) {
            return;
        }
        Map<String, Object> verdict = new TreeMap<>();
        verdict.put("state", to == CircuitBreaker.State.OPEN ? "open" : "closed");
        verdict.put("by", self);
        verdict.put("at", System.currentTimeMillis());
        store.put(HaNamespaces.WORKER_STATE, "breaker:" + worker.url(), Json.text(verdict));
    }

    // ------------------------------------------------------------------ local -> store

    private void addedHere(Worker worker) {
        if (applyingRemote.get()) {
            return;
        }
        String spec = specJson(worker.spec());
        String key = worker.url().toString();
        Optional<String> stored = value(store.snapshot(), key);
        if (!stored.equals(Optional.of(spec))) {
            // Known before the write lands, so a removal elsewhere that overtakes it still applies here.
            applier.execute(() -> seenInStore.add(key));
            write(() -> store.put(HaNamespaces.WORKERS, key, spec), "registration of " + key);
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
            applier.schedule(() -> write(attempt, what), 1, TimeUnit.SECONDS);
        }
    }

    private void removedHere(Worker worker) {
        if (applyingRemote.get()) {
            return;
        }
        String key = worker.url().toString();
        write(() -> store.remove(HaNamespaces.WORKERS, key), "removal of " + key);
        store.remove(HaNamespaces.WORKER_STATE, "health:" + key);
        store.remove(HaNamespaces.WORKER_STATE, "breaker:" + key);
    }

    private void healthChangedHere(Worker worker, WorkerStatus now) {
        if (applyingRemote.get() || (now != WorkerStatus.READY && now != WorkerStatus.NOT_READY)) {
            return;
        }
        Map<String, Object> verdict = new TreeMap<>();
        verdict.put("healthy", now == WorkerStatus.READY);
        verdict.put("by", self);
        verdict.put("at", System.currentTimeMillis());
        store.put(HaNamespaces.WORKER_STATE, "health:" + worker.url(), Json.text(verdict));
    }

    // ------------------------------------------------------------------ store -> local

    private void apply(String namespace, Set<String> keys) {
        StoreSnapshot snapshot = store.snapshot();
        applyingRemote.set(true);
        try {
            for (String key : keys) {
                try {
                    if (namespace.equals(HaNamespaces.WORKERS.name())) {
                        applyWorker(snapshot, key);
                    } else {
                        applyState(snapshot, key);
                    }
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "replicated worker entry {0} not applied: {1}", key,
                            e.getMessage());
                }
            }
        } finally {
            applyingRemote.set(false);
        }
    }

    private void applyWorker(StoreSnapshot snapshot, String key) {
        Optional<String> stored = value(snapshot, key);
        WorkerUrl url = WorkerUrl.parse(key);
        Optional<Worker> local = registry.find(url);
        if (stored.isEmpty()) {
            if (local.isPresent() && seenInStore.remove(key)) {
                local.get().drain();
                registry.remove(local.get().id());
                LOG.log(System.Logger.Level.INFO, "worker {0} removed (by another router)", key);
            }
            return;
        }
        seenInStore.add(key);
        WorkerSpec spec = parseSpec(stored.get());
        if (local.isPresent() && local.get().spec().equals(spec)) {
            return;
        }
        if (local.isPresent()) {
            registry.remove(local.get().id()); // the spec changed elsewhere: the last writer's spec wins
        }
        try {
            registry.add(spec);
            LOG.log(System.Logger.Level.INFO, "worker {0} registered (by another router); probing it", key);
        } catch (IllegalStateException raced) {
            // added locally in the meantime: the local add is written to the store and wins or loses there
        }
    }

    private void applyState(StoreSnapshot snapshot, String key) {
        Optional<LwwRegister<String>> entry = snapshot.get(HaNamespaces.WORKER_STATE).get(key);
        if (entry.isEmpty() || entry.get().value() == null) {
            appliedVerdicts.remove(key);
            return;
        }
        // Applied once: re-applying on every reconcile would keep resetting this router's own probe
        // streaks, so only the verdict's author could ever change the worker's health again.
        if (entry.get().stamp().equals(appliedVerdicts.put(key, entry.get().stamp()))) {
            return;
        }
        Map<String, Object> verdict = Json.object(entry.get().value());
        if (self.equals(verdict.get("by"))) {
            return; // our own verdict coming back
        }
        int colon = key.indexOf(':');
        Optional<Worker> worker = registry.find(WorkerUrl.parse(key.substring(colon + 1)));
        if (worker.isEmpty()) {
            return;
        }
        if (key.startsWith("health:") && verdict.get("healthy") instanceof Boolean healthy) {
            Worker.StatusChange change = worker.get().adoptHealth(healthy);
            if (change.changed()) {
                LOG.log(System.Logger.Level.INFO, "worker {0}: {1} -> {2} (verdict of {3})", worker.get(),
                        change.before().wireName(), change.after().wireName(), verdict.get("by"));
            }
        } else if (key.startsWith("breaker:") && "open".equals(verdict.get("state"))
                && verdict.get("at") instanceof Number at
                && System.currentTimeMillis() - at.longValue() < breakerOpenFor.toMillis()) {
            worker.get().breaker().forceOpen();
        }
    }

    private void reconcile() {
        StoreSnapshot snapshot = store.snapshot();
        Set<String> keys = new HashSet<>(snapshot.get(HaNamespaces.WORKERS).values().keySet());
        for (Worker w : registry.snapshot()) {
            keys.add(w.url().toString());
        }
        keys.removeIf(k -> value(snapshot, k).isEmpty() && !seenInStore.contains(k));
        apply(HaNamespaces.WORKERS.name(), keys);
        apply(HaNamespaces.WORKER_STATE.name(), snapshot.get(HaNamespaces.WORKER_STATE).keySet());
    }

    // ------------------------------------------------------------------ views

    /** The cluster's workers as the store holds them, with this router's view of each, for /ha/workers. */
    public List<Map<String, Object>> clusterWorkers() {
        StoreSnapshot snapshot = store.snapshot();
        CrdtMap<String, LwwRegister<String>> workers = snapshot.get(HaNamespaces.WORKERS);
        CrdtMap<String, LwwRegister<String>> states = snapshot.get(HaNamespaces.WORKER_STATE);
        List<Map<String, Object>> out = new ArrayList<>();
        for (String url : new TreeSet<>(workers.keySet())) {
            Optional<String> spec = value(snapshot, url);
            if (spec.isEmpty()) {
                continue;
            }
            Map<String, Object> parsed = Json.object(spec.get());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("worker_id", WorkerRegistry.idFor(WorkerUrl.parse(url)));
            row.put("url", url);
            row.put("models", parsed.getOrDefault("models", List.of()));
            row.put("labels", parsed.getOrDefault("labels", Map.of()));
            Optional<Worker> local = registry.find(WorkerUrl.parse(url));
            row.put("status", local.map(w -> w.status().wireName()).orElse("unknown"));
            row.put("health", states.get("health:" + url).map(r -> Json.object(r.value())).orElse(null));
            row.put("circuit_breaker", states.get("breaker:" + url).map(r -> Json.object(r.value())).orElse(null));
            row.put("version", workers.get(url).map(r -> r.stamp().wallMillis()).orElse(0L));
            out.add(row);
        }
        return out;
    }

    private static Optional<String> value(StoreSnapshot snapshot, String url) {
        return snapshot.get(HaNamespaces.WORKERS).get(url).map(LwwRegister::value);
    }

    /** The spec as replicated: the worker's API key travels (peers must call it too), over the mesh only. */
    static String specJson(WorkerSpec spec) {
        Map<String, Object> json = new TreeMap<>();
        json.put("url", spec.url().toString());
        json.put("models", spec.models());
        json.put("labels", new TreeMap<>(spec.labels()));
        spec.apiKey().ifPresent(k -> json.put("api_key", k));
        return Json.text(json);
    }

    static WorkerSpec parseSpec(String json) {
        Map<String, Object> map = Json.object(json);
        List<String> models = new ArrayList<>();
        if (map.get("models") instanceof List<?> list) {
            list.forEach(m -> models.add(String.valueOf(m)));
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (map.get("labels") instanceof Map<?, ?> l) {
            l.forEach((k, v) -> labels.put(String.valueOf(k), String.valueOf(v)));
        }
        Optional<String> key = map.get("api_key") instanceof String s ? Optional.of(s) : Optional.empty();
        return new WorkerSpec(WorkerUrl.parse(String.valueOf(map.get("url"))), models, key, labels);
    }

    @Override
    public void close() {
        applier.shutdownNow();
    }
}
