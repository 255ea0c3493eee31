package dev.smg.mesh.store;

import dev.smg.mesh.crdt.Crdt;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.HybridLogicalClock;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.crdt.OrSet;
import dev.smg.mesh.runtime.Loop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;

/**
 * The replicated key-value store: named namespaces of CRDT maps with exactly one writer, the mesh
 * loop. Local writes and remote deltas from any thread are offered to the loop's bounded lock-free
 * inbox (never blocking a request; a full inbox drops and counts); the loop merges them, and once
 * per batch publishes a new immutable {@link StoreSnapshot} with one volatile write and tells
 * subscribers which keys changed. Each local write also yields a delta (a small CRDT state) for
 * the sync layer to ship to peers.
 */
public final class ReplicatedStore {
    /** Told, on the loop, which keys of a namespace changed in a batch. */
    public interface Subscriber {
        void changed(String namespace, Set<String> keys, StoreSnapshot snapshot);
    }

    /** Receives every local delta, on the loop: the hook for delta gossip. */
    public interface DeltaSink {
        void localDelta(String namespace, CrdtMap<String, ?> delta);
    }

    private final String replica;
    private final Loop loop;
    private final Map<String, Namespace<?>> declared = new HashMap<>();
    private final Map<String, CrdtMap<String, ?>> state = new HashMap<>();
    private final Map<String, Set<String>> changed = new HashMap<>();
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final List<Runnable> afterPublish = new ArrayList<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong collected = new AtomicLong();
    private volatile StoreSnapshot snapshot = new StoreSnapshot(0, Map.of());
    private volatile DeltaSink deltaSink = (ns, delta) -> { };
    /** Stamps local LWW writes; lives on the loop, observes every remote stamp merged here. */
    private final HybridLogicalClock clock;
    private long version;

    public ReplicatedStore(String replica, Loop loop, List<Namespace<?>> namespaces) {
        this(replica, loop, namespaces, System::currentTimeMillis);
    }

    /**
     * @param replica   this store's identity in dots and stamps: unique per process start (a node
     *                  restarted empty under its old identity would reissue dots its peers have seen)
     * @param wallClock the wall clock the hybrid logical clock follows (tests skew it)
     */
    public ReplicatedStore(String replica, Loop loop, List<Namespace<?>> namespaces,
                           LongSupplier wallClock) {
        this.replica = replica;
        this.loop = loop;
        this.clock = new HybridLogicalClock(replica, wallClock);
        for (Namespace<?> ns : namespaces) {
            if (declared.putIfAbsent(ns.name(), ns) != null) {
                throw new IllegalArgumentException("namespace " + ns.name() + " declared twice");
            }
            state.put(ns.name(), CrdtMap.empty());
        }
        snapshot = new StoreSnapshot(0, state);
        loop.onBatchEnd(this::publishIfChanged);
    }

    public StoreSnapshot snapshot() {
        return snapshot;
    }

    public void subscribe(Subscriber subscriber) {
        subscribers.add(subscriber);
    }

    public void deltasTo(DeltaSink sink) {
        this.deltaSink = sink;
    }

    /**
     * Offers a local write: {@code op} turns the key's current value into a delta (e.g.
     * {@code c -> c.incrementDelta(replica, 1)}); it runs on the loop, against current state.
     *
     * @return false when the loop's inbox was full and the write was dropped (counted)
     */
    public <V extends Crdt<V>> boolean update(Namespace<V> namespace, String key, UnaryOperator<V> op) {
        boolean queued = loop.offer(() -> applyLocal(namespace, key, op));
        if (!queued) {
            dropped.incrementAndGet();
        }
        return queued;
    }

    /**
     * Offers a last-writer-wins write of {@code value} under {@code key}, stamped on the loop by the
     * store's hybrid logical clock (so it orders after every write this node has seen).
     */
    public <T> boolean put(Namespace<LwwRegister<T>> namespace, String key, T value) {
        return update(namespace, key, current -> new LwwRegister<>(value, clock.now()));
    }

    /** Offers a local removal of {@code key}. */
    public boolean remove(Namespace<?> namespace, String key) {
        boolean queued = loop.offer(() -> applyLocalRemove(namespace, key));
        if (!queued) {
            dropped.incrementAndGet();
        }
        return queued;
    }

    /** Offers a delta received from a peer. Unknown namespaces are refused (and counted). */
    public boolean mergeRemote(String namespace, CrdtMap<String, ?> delta) {
        boolean queued = loop.offer(() -> applyRemote(namespace, delta));
        if (!queued) {
            dropped.incrementAndGet();
        }
        return queued;
    }

    /**
     * Runs {@code task} on the loop once everything offered before it has been merged and published
     * (subscribers told). False when the inbox was full.
     */
    public boolean afterPending(Runnable task) {
        return loop.offer(() -> afterPublish.add(task));
    }

    /**
     * Drops the values of removed keys (their liveness is in the key set, so nobody's view changes)
     * and counts them; the store's memory then follows its live keys, not its history.
     */
    public boolean collectGarbage() {
        return loop.offer(() -> {
            long before = collected.get();
            state.replaceAll((name, map) -> {
                CrdtMap<String, ?> compact = map.withoutOrphans();
                collected.addAndGet(map.values().size() - compact.values().size());
                return compact;
            });
            if (collected.get() != before) {
                snapshot = new StoreSnapshot(++version, state); // same live view, less memory held
            }
        });
    }

    /** Values of removed keys dropped so far. */
    public long collected() {
        return collected.get();
    }

    public long dropped() {
        return dropped.get();
    }

    public long refused() {
        return refused.get();
    }

    public String replica() {
        return replica;
    }

    @SuppressWarnings("unchecked")
    private <V extends Crdt<V>> void applyLocal(Namespace<V> namespace, String key, UnaryOperator<V> op) {
        CrdtMap<String, V> current = (CrdtMap<String, V>) state.get(namespace.name());
        if (current == null) {
            refused.incrementAndGet();
            return;
        }
        V value = current.values().getOrDefault(key, namespace.empty());
        CrdtMap<String, V> delta = current.updateDelta(replica, key, op.apply(value));
        state.put(namespace.name(), current.merge(delta));
        markChanged(namespace.name(), Set.of(key));
        deltaSink.localDelta(namespace.name(), delta);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void applyLocalRemove(Namespace<?> namespace, String key) {
        CrdtMap current = state.get(namespace.name());
        if (current == null) {
            refused.incrementAndGet();
            return;
        }
        CrdtMap delta = current.removeDelta(key);
        state.put(namespace.name(), (CrdtMap<String, ?>) current.merge(delta));
        markChanged(namespace.name(), Set.of(key));
        deltaSink.localDelta(namespace.name(), delta);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void applyRemote(String namespace, CrdtMap<String, ?> delta) {
        CrdtMap current = state.get(namespace);
        if (current == null) {
            refused.incrementAndGet();
            return;
        }
        for (Object value : delta.values().values()) {
            if (value instanceof LwwRegister<?> lww) {
                clock.observe(lww.stamp());
            }
        }
        CrdtMap<String, ?> merged = (CrdtMap<String, ?>) current.merge(delta);
        if (merged == current) {
            return; // a duplicate: the merge changed nothing (and says so by returning the same map)
        }
        Set<String> keys = new HashSet<>(delta.values().keySet());
        keys.addAll(delta.keys().elements());
        // Keys the delta removed: only those whose dots it covers can be, so no scan of the namespace.
        OrSet<String> before = current.keys();
        for (String k : before.touchedBy(delta.keys())) {
            if (before.contains(k) && !merged.keys().contains(k)) {
                keys.add(k);
            }
        }
        state.put(namespace, merged);
        markChanged(namespace, keys);
    }

    private void markChanged(String namespace, Set<String> keys) {
        changed.computeIfAbsent(namespace, n -> new HashSet<>()).addAll(keys);
    }

    private void publishIfChanged() {
        if (!changed.isEmpty()) {
            publish();
        }
        if (!afterPublish.isEmpty()) {
            List<Runnable> tasks = List.copyOf(afterPublish);
            afterPublish.clear();
            tasks.forEach(Runnable::run);
        }
    }

    private void publish() {
        StoreSnapshot next = new StoreSnapshot(++version, state);
        snapshot = next;
        Map<String, Set<String>> batch = Map.copyOf(changed);
        changed.clear();
        for (Subscriber s : subscribers) {
            batch.forEach((ns, keys) -> s.changed(ns, Set.copyOf(keys), next));
        }
    }
}
