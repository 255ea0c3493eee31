package dev.smg.api.ha;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.store.Namespace;
import dev.smg.mesh.store.ReplicatedStore;
import dev.smg.mesh.store.StoreSnapshot;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A typed view of one last-writer-wins namespace of the replicated store: keys of type {@code K}
 * (turned into the store's string keys in one place, {@code keyText}/{@code parseKey}) and values that
 * are protobuf messages of one type (ha.proto). Nothing else in the HA layer builds or parses a key
 * string or a value's bytes, so a key or value of the wrong shape cannot be written, and one that
 * arrives malformed from a peer reads as absent (and is logged) instead of breaking a reader.
 */
final class LwwTable<K, M extends Message> {
    private static final System.Logger LOG = System.getLogger(LwwTable.class.getName());

    /** A value as stored, with its last-writer-wins stamp's wall-clock time. */
    record Entry<M>(M value, long writtenMillis) {
    }

    private final Namespace<LwwRegister<ByteString>> namespace;
    private final Function<K, String> keyText;
    private final Function<String, K> parseKey;
    private final Parser<M> parser;

    LwwTable(String name, Function<K, String> keyText, Function<String, K> parseKey, Parser<M> parser) {
        this.namespace = new Namespace<>(name, LwwRegister.empty());
        this.keyText = keyText;
        this.parseKey = parseKey;
        this.parser = parser;
    }

    Namespace<LwwRegister<ByteString>> namespace() {
        return namespace;
    }

    String name() {
        return namespace.name();
    }

    /** The key a changed store key stands for; empty when it is not one of ours (then ignored). */
    Optional<K> key(String storeKey) {
        try {
            return Optional.of(parseKey.apply(storeKey));
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: key {1} ignored: {2}", name(), storeKey, e.getMessage());
            return Optional.empty();
        }
    }

    Optional<Entry<M>> get(StoreSnapshot snapshot, K key) {
        return snapshot.get(namespace).get(keyText.apply(key)).flatMap(this::entry);
    }

    Optional<M> value(StoreSnapshot snapshot, K key) {
        return get(snapshot, key).map(Entry::value);
    }

    /**
     * Every present entry. Walks the live keys, not the map's values: a removed key's value stays
     * until garbage collection, and must not read as present (HaSimulationTest caught /ha/workers
     * listing removed workers for up to a minute).
     */
    Map<K, Entry<M>> entries(StoreSnapshot snapshot) {
        CrdtMap<String, LwwRegister<ByteString>> map = snapshot.get(namespace);
        Map<K, Entry<M>> out = new LinkedHashMap<>();
        for (String storeKey : map.keySet()) {
            key(storeKey).ifPresent(k -> map.get(storeKey).flatMap(this::entry).ifPresent(e -> out.put(k, e)));
        }
        return out;
    }

    /** Offers a write; false when the mesh loop's inbox was full (dropped, counted there). */
    boolean put(ReplicatedStore store, K key, M value) {
        return store.put(namespace, keyText.apply(key), value.toByteString());
    }

    boolean remove(ReplicatedStore store, K key) {
        return store.remove(namespace, keyText.apply(key));
    }

    private Optional<Entry<M>> entry(LwwRegister<ByteString> register) {
        if (register.value() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Entry<>(parser.parseFrom(register.value()), register.stamp().wallMillis()));
        } catch (InvalidProtocolBufferException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: a malformed value ignored", name());
            return Optional.empty();
        }
    }
}
