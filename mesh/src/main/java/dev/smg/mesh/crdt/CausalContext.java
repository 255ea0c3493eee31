package dev.smg.mesh.crdt;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The set of events (dots) a replica has seen: a version vector for the contiguous prefix of each
 * replica's events plus a "cloud" of dots seen out of order (deltas can arrive in any order).
 * Immutable; {@link #compact} folds the cloud into the vector where it has become contiguous.
 */
public record CausalContext(Map<String, Long> vector, Set<Dot> cloud) {
    public static final CausalContext EMPTY = new CausalContext(Map.of(), Set.of());

    public CausalContext {
        vector = Map.copyOf(vector);
        cloud = Set.copyOf(cloud);
    }

    public boolean contains(Dot dot) {
        return dot.counter() <= vector.getOrDefault(dot.replica(), 0L) || cloud.contains(dot);
    }

    /** The next dot of {@code replica} (its contiguous maximum + 1). */
    public Dot next(String replica) {
        return new Dot(replica, vector.getOrDefault(replica, 0L) + 1);
    }

    public CausalContext with(Dot dot) {
        Set<Dot> c = new HashSet<>(cloud);
        c.add(dot);
        return new CausalContext(vector, c).compact();
    }

    public CausalContext merge(CausalContext other) {
        Map<String, Long> v = new HashMap<>(vector);
        other.vector.forEach((r, n) -> v.merge(r, n, Math::max));
        Set<Dot> c = new HashSet<>(cloud);
        c.addAll(other.cloud);
        return new CausalContext(v, c).compact();
    }

    private CausalContext compact() {
        Map<String, Long> v = new HashMap<>(vector);
        Set<Dot> c = new HashSet<>(cloud);
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Dot d : Set.copyOf(c)) {
                long max = v.getOrDefault(d.replica(), 0L);
                if (d.counter() <= max) {
                    c.remove(d);
                } else if (d.counter() == max + 1) {
                    v.put(d.replica(), d.counter());
                    c.remove(d);
                    progress = true;
                }
            }
        }
        return c.size() == cloud.size() && v.equals(vector) ? this : new CausalContext(v, c);
    }
}
