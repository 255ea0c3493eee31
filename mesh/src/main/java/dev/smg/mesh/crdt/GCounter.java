package dev.smg.mesh.crdt;

import java.util.HashMap;
import java.util.Map;

/** Grow-only counter: one monotonic entry per replica; the value is their sum; merge takes maxima. */
public record GCounter(Map<String, Long> entries) implements Crdt<GCounter> {
    public static final GCounter EMPTY = new GCounter(Map.of());

    public GCounter {
        entries = Map.copyOf(entries);
    }

    public long value() {
        long sum = 0;
        for (long v : entries.values()) {
            sum += v;
        }
        return sum;
    }

    /** The delta of {@code replica} adding {@code amount} (non-negative): merge it to apply. */
    public GCounter incrementDelta(String replica, long amount) {
        if (amount < 0) {
            throw new IllegalArgumentException("a G-Counter only grows");
        }
        return new GCounter(Map.of(replica, entries.getOrDefault(replica, 0L) + amount));
    }

    @Override
    public GCounter merge(GCounter other) {
        if (other.entries.isEmpty()) {
            return this;
        }
        Map<String, Long> out = new HashMap<>(entries);
        other.entries.forEach((replica, v) -> out.merge(replica, v, Math::max));
        return new GCounter(out);
    }

    /** Drops a departed replica's entry, folding it into {@code heir} so the value is unchanged. */
    public GCounter prune(String departed, String heir) {
        Long gone = entries.get(departed);
        if (gone == null) {
            return this;
        }
        Map<String, Long> out = new HashMap<>(entries);
        out.remove(departed);
        out.merge(heir, gone, Long::sum);
        return new GCounter(out);
    }
}
