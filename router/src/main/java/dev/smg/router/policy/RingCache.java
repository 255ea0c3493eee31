package dev.smg.router.policy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hash rings by sorted member list, so a request does not rebuild one (150 hashes per member and a
 * sort). A ring is a pure function of its members, so the cache only saves work; what it must get
 * right is the work: a set's ring is built once however many requests ask for it at once
 * ({@code computeIfAbsent}), and the cache is bounded by evicting the least recently used ring one
 * at a time when a new set arrives, so the sets in use (usually one per model) keep their rings
 * while a burst of transient sets (workers flapping) churns through the rest. Clearing the whole
 * map at the bound, as before, made every request of every set rebuild its ring at once.
 * <p>
 * Recency is a logical clock that only ticks when a ring is built: a hit stamps its entry with the
 * current tick (a plain volatile write, skipped when already current), so a hit costs one map read
 * and writes no shared counter.
 */
final class RingCache {
    static final int DEFAULT_CAPACITY = 64;

    private final int capacity;
    private final Map<List<String>, Entry> rings = new ConcurrentHashMap<>();
    private final AtomicLong tick = new AtomicLong();
    private final AtomicLong built = new AtomicLong();
    private final AtomicLong evicted = new AtomicLong();

    private static final class Entry {
        final HashRing ring;
        volatile long lastUse;

        Entry(HashRing ring, long lastUse) {
            this.ring = ring;
            this.lastUse = lastUse;
        }
    }

    RingCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
    }

    /** The ring over {@code sortedMembers}, built on first use. */
    HashRing ring(List<String> sortedMembers) {
        Entry entry = rings.get(sortedMembers);
        if (entry != null) {
            long now = tick.get();
            if (entry.lastUse != now) {
                entry.lastUse = now;
            }
            return entry.ring;
        }
        entry = rings.computeIfAbsent(List.copyOf(sortedMembers), members -> {
            built.incrementAndGet();
            return new Entry(new HashRing(members), tick.incrementAndGet());
        });
        while (rings.size() > capacity) {
            evictOldest(entry);
        }
        return entry.ring;
    }

    /** Removes the least recently used ring other than {@code keep} (the one just asked for). */
    private void evictOldest(Entry keep) {
        Map.Entry<List<String>, Entry> oldest = null;
        for (Map.Entry<List<String>, Entry> e : rings.entrySet()) {
            if (e.getValue() != keep && (oldest == null || e.getValue().lastUse < oldest.getValue().lastUse)) {
                oldest = e;
            }
        }
        if (oldest != null && rings.remove(oldest.getKey(), oldest.getValue())) {
            evicted.incrementAndGet();
        }
    }

    int size() {
        return rings.size();
    }

    boolean contains(List<String> sortedMembers) {
        return rings.containsKey(sortedMembers);
    }

    /** Rings built (a miss each). */
    long built() {
        return built.get();
    }

    /** Rings dropped to stay within the bound. */
    long evicted() {
        return evicted.get();
    }
}
