package dev.smg.mesh.crdt;

import java.util.Objects;

/** Last-writer-wins register: the value with the greatest hybrid-logical-clock stamp wins. */
public record LwwRegister<V>(V value, HlcTimestamp stamp) implements Crdt<LwwRegister<V>> {
    public LwwRegister {
        Objects.requireNonNull(stamp);
    }

    public static <V> LwwRegister<V> empty() {
        return new LwwRegister<>(null, HlcTimestamp.ZERO);
    }

    @Override
    public LwwRegister<V> merge(LwwRegister<V> other) {
        return other.stamp.compareTo(stamp) > 0 ? other : this;
    }
}
