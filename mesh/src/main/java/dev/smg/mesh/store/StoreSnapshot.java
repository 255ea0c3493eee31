package dev.smg.mesh.store;

import dev.smg.mesh.crdt.Crdt;
import dev.smg.mesh.crdt.CrdtMap;

import java.util.Map;

/**
 * An immutable picture of the whole store, published with one volatile write per batch. Readers
 * (request threads) take it once and read without locks.
 *
 * @param version increases with every published batch
 */
public record StoreSnapshot(long version, Map<String, CrdtMap<String, ?>> namespaces) {
    public StoreSnapshot {
        namespaces = Map.copyOf(namespaces);
    }

    @SuppressWarnings("unchecked") // the store only ever puts a Namespace<V>'s values under its name
    public <V extends Crdt<V>> CrdtMap<String, V> get(Namespace<V> namespace) {
        CrdtMap<String, ?> map = namespaces.get(namespace.name());
        return map == null ? CrdtMap.empty() : (CrdtMap<String, V>) map;
    }

    /** Live keys per namespace, for /ha/status store counts and metrics. */
    public int size(Namespace<?> namespace) {
        CrdtMap<String, ?> map = namespaces.get(namespace.name());
        return map == null ? 0 : map.keySet().size();
    }
}
