package dev.smg.mesh.crdt;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A map whose values are CRDTs: the key set is an add-wins {@link OrSet} (so a key removed on one
 * replica and updated concurrently on another survives) and values merge pointwise. A removed
 * key's value stays in {@code values} until garbage collection prunes it (it can only matter again
 * if the key is re-added, and then merging with it is still correct for counters and LWW).
 *
 * @param keys   the live keys
 * @param values every key's value, live or not yet collected
 */
public record CrdtMap<K, V extends Crdt<V>>(OrSet<K> keys, Map<K, V> values) implements Crdt<CrdtMap<K, V>> {
    public CrdtMap {
        values = Map.copyOf(values);
    }

    public static <K, V extends Crdt<V>> CrdtMap<K, V> empty() {
        return new CrdtMap<K, V>(OrSet.<K>empty(), Map.<K, V>of());
    }

    public Optional<V> get(K key) {
        return keys.contains(key) ? Optional.ofNullable(values.get(key)) : Optional.empty();
    }

    public Set<K> keySet() {
        return keys.elements();
    }

    /** The delta of {@code replica} updating {@code key} with {@code valueDelta} (adds the key if absent). */
    public CrdtMap<K, V> updateDelta(String replica, K key, V valueDelta) {
        return new CrdtMap<>(keys.addDelta(replica, key), Map.of(key, valueDelta));
    }

    public CrdtMap<K, V> removeDelta(K key) {
        return new CrdtMap<K, V>(keys.removeDelta(key), Map.<K, V>of());
    }

    /**
     * The map without the values of removed keys. Safe at any time: a key's liveness lives in the
     * key set, never in its value, so dropping an orphan value changes no reader's view; if the key
     * is added again, its new value simply starts from the new delta.
     */
    public CrdtMap<K, V> withoutOrphans() {
        if (values.size() == keys.entries().size()) {
            return this;
        }
        Map<K, V> live = new HashMap<>();
        values.forEach((k, v) -> {
            if (keys.contains(k)) {
                live.put(k, v);
            }
        });
        return new CrdtMap<>(keys, live);
    }

    @Override
    public CrdtMap<K, V> merge(CrdtMap<K, V> other) {
        Map<K, V> out = new HashMap<>(values);
        Set<K> theirs = new HashSet<>(other.values.keySet());
        for (K k : theirs) {
            V mine = out.get(k);
            out.put(k, mine == null ? other.values.get(k) : mine.merge(other.values.get(k)));
        }
        return new CrdtMap<>(keys.merge(other.keys), out);
    }
}
