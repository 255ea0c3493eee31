package dev.smg.mesh.crdt;

import org.pcollections.HashTreePMap;
import org.pcollections.PMap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A map whose values are CRDTs: the key set is an add-wins {@link OrSet} (so a key removed on one
 * replica and updated concurrently on another survives) and values merge pointwise. A removed
 * key's value stays in {@code values} until garbage collection prunes it (it can only matter again
 * if the key is re-added, and then merging with it is still correct for counters and LWW).
 * <p>
 * Persistent: {@code values} is a persistent map (read-only to callers), so merging a delta of k
 * keys into a map of n costs O(k log n) and shares everything else with the previous state; the
 * store publishes a new map per delta without copying the namespace. A merge that changes nothing
 * returns this very map, which is how the store recognises a duplicate delta without comparing.
 *
 * @param keys   the live keys
 * @param values every key's value, live or not yet collected
 */
public record CrdtMap<K, V extends Crdt<V>>(OrSet<K> keys, Map<K, V> values) implements Crdt<CrdtMap<K, V>> {
    public CrdtMap {
        values = values instanceof PMap<K, V> persistent ? persistent : HashTreePMap.from(values);
    }

    public static <K, V extends Crdt<V>> CrdtMap<K, V> empty() {
        return new CrdtMap<K, V>(OrSet.<K>empty(), HashTreePMap.<K, V>empty());
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
        List<K> orphans = new ArrayList<>();
        for (K k : values.keySet()) {
            if (!keys.contains(k)) {
                orphans.add(k);
            }
        }
        return new CrdtMap<>(keys, persistent().minusAll(orphans));
    }

    @Override
    public CrdtMap<K, V> merge(CrdtMap<K, V> other) {
        PMap<K, V> out = persistent();
        for (Map.Entry<K, V> theirs : other.values.entrySet()) {
            V mine = out.get(theirs.getKey());
            V merged = mine == null ? theirs.getValue() : mine.merge(theirs.getValue());
            if (mine == null || !merged.equals(mine)) {
                out = out.plus(theirs.getKey(), merged);
            }
        }
        OrSet<K> mergedKeys = keys.merge(other.keys);
        if (out == values && mergedKeys == keys) {
            return this;
        }
        return new CrdtMap<>(mergedKeys, out);
    }

    private PMap<K, V> persistent() {
        return (PMap<K, V>) values; // the constructor made it one
    }
}
