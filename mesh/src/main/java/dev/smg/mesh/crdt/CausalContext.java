package dev.smg.mesh.crdt;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
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

    /** A context holding exactly {@code dots}, built in one pass (a repair's context). */
    public static CausalContext of(Collection<Dot> dots) {
        return new CausalContext(Map.of(), new HashSet<>(dots)).compact();
    }

    /**
     * Folds cloud dots that extend a replica's contiguous run into the vector: per replica, the
     * cloud's counters in ascending order, one pass (O(n log n); a cloud of many thousands of dots,
     * as a node that caught up from a peer can have, must not stall the mesh loop).
     */
    private CausalContext compact() {
        if (cloud.isEmpty()) {
            return this;
        }
        Map<String, List<Long>> byReplica = new HashMap<>();
        for (Dot d : cloud) {
            byReplica.computeIfAbsent(d.replica(), r -> new ArrayList<>()).add(d.counter());
        }
        Map<String, Long> v = null;
        Set<Dot> c = new HashSet<>();
        for (Map.Entry<String, List<Long>> e : byReplica.entrySet()) {
            String replica = e.getKey();
            List<Long> counters = e.getValue();
            counters.sort(null);
            long max = vector.getOrDefault(replica, 0L);
            long start = max;
            for (long counter : counters) {
                if (counter <= max) {
                    continue; // already covered
                }
                if (counter == max + 1) {
                    max = counter;
                } else {
                    c.add(new Dot(replica, counter));
                }
            }
            if (max != start) {
                if (v == null) {
                    v = new HashMap<>(vector);
                }
                v.put(replica, max);
            }
        }
        if (v == null && c.size() == cloud.size()) {
            return this;
        }
        return new CausalContext(v == null ? vector : v, c);
    }
}
