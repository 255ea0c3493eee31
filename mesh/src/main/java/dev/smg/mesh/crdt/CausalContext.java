package dev.smg.mesh.crdt;

import org.pcollections.HashTreePMap;
import org.pcollections.PMap;
import org.pcollections.PSortedSet;
import org.pcollections.TreePSet;

import java.util.AbstractSet;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The set of events (dots) a replica has seen: a version vector for the contiguous prefix of each
 * replica's events plus a "cloud" of dots seen out of order (deltas can arrive in any order).
 * Immutable and always compact: a cloud dot never touches its replica's contiguous prefix (it would
 * have been folded into the vector), so two contexts holding the same dots are equal.
 * <p>
 * Persistent: the vector is a persistent map and the cloud a persistent sorted set of counters per
 * replica, so adding a dot or merging a delta's (small) context costs O(its dots × log), never a
 * copy of this context; the mesh loop publishes a new one for every delta it merges.
 */
public final class CausalContext {
    public static final CausalContext EMPTY = new CausalContext(HashTreePMap.empty(), HashTreePMap.empty(), 0);

    private final PMap<String, Long> vector;
    /** Per replica, the out-of-order counters (each above its vector entry + 1); no empty sets. */
    private final PMap<String, PSortedSet<Long>> cloud;
    private final int cloudSize;

    private CausalContext(PMap<String, Long> vector, PMap<String, PSortedSet<Long>> cloud, int cloudSize) {
        this.vector = vector;
        this.cloud = cloud;
        this.cloudSize = cloudSize;
    }

    /** A context of {@code vector}'s prefixes plus {@code cloud}'s dots (compacted). */
    public CausalContext(Map<String, Long> vector, Set<Dot> cloud) {
        this(EMPTY.withVector(vector).withAll(cloud));
    }

    private CausalContext(CausalContext built) {
        this(built.vector, built.cloud, built.cloudSize);
    }

    /** A context holding exactly {@code dots} (a repair's context). */
    public static CausalContext of(Collection<Dot> dots) {
        return EMPTY.withAll(dots);
    }

    /** Each replica's contiguous maximum (read-only). */
    public Map<String, Long> vector() {
        return vector;
    }

    /** The dots seen out of order (a read-only view). */
    public Set<Dot> cloud() {
        return new CloudView();
    }

    public boolean contains(Dot dot) {
        if (dot.counter() <= vector.getOrDefault(dot.replica(), 0L)) {
            return true;
        }
        PSortedSet<Long> counters = cloud.get(dot.replica());
        return counters != null && counters.contains(dot.counter());
    }

    /** The next dot of {@code replica} (its contiguous maximum + 1). */
    public Dot next(String replica) {
        return new Dot(replica, vector.getOrDefault(replica, 0L) + 1);
    }

    /** How many dots this context holds (the sum of the vector plus the cloud). */
    public long dotCount() {
        long n = cloudSize;
        for (long max : vector.values()) {
            n += max;
        }
        return n;
    }

    /** Every dot this context holds, vector prefixes included: cost {@link #dotCount()}. */
    public void forEachDot(Consumer<Dot> action) {
        vector.forEach((replica, max) -> {
            for (long c = 1; c <= max; c++) {
                action.accept(new Dot(replica, c));
            }
        });
        cloud.forEach((replica, counters) -> counters.forEach(c -> action.accept(new Dot(replica, c))));
    }

    public CausalContext with(Dot dot) {
        String replica = dot.replica();
        long max = vector.getOrDefault(replica, 0L);
        if (dot.counter() <= max) {
            return this;
        }
        PSortedSet<Long> counters = cloud.getOrDefault(replica, TreePSet.empty());
        if (dot.counter() == max + 1) {
            return fold(replica, max + 1, counters);
        }
        if (counters.contains(dot.counter())) {
            return this;
        }
        return new CausalContext(vector, cloud.plus(replica, counters.plus(dot.counter())), cloudSize + 1);
    }

    /** This context plus {@code other}'s dots; {@code this} itself when {@code other} adds none. */
    public CausalContext merge(CausalContext other) {
        if (other == this) {
            return this;
        }
        return withVector(other.vector).withAll(other.cloud());
    }

    private CausalContext withAll(Collection<Dot> dots) {
        CausalContext out = this;
        for (Dot d : dots) {
            out = out.with(d);
        }
        return out;
    }

    private CausalContext withVector(Map<String, Long> prefixes) {
        CausalContext out = this;
        for (Map.Entry<String, Long> e : prefixes.entrySet()) {
            String replica = e.getKey();
            long theirs = e.getValue();
            if (theirs > out.vector.getOrDefault(replica, 0L)) {
                out = out.fold(replica, theirs, out.cloud.getOrDefault(replica, TreePSet.empty()));
            }
        }
        return out;
    }

    /**
     * Raises {@code replica}'s contiguous maximum to {@code max}, drops the cloud counters it now
     * covers and folds in those that continue the run (O(folded × log cloud)).
     */
    private CausalContext fold(String replica, long max, PSortedSet<Long> counters) {
        int before = counters.size();
        while (!counters.isEmpty() && counters.first() <= max + 1) {
            max = Math.max(max, counters.first());
            counters = counters.minusFirst();
        }
        PMap<String, PSortedSet<Long>> c = before == 0 ? cloud
                : counters.isEmpty() ? cloud.minus(replica) : cloud.plus(replica, counters);
        return new CausalContext(vector.plus(replica, max), c, cloudSize - (before - counters.size()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CausalContext other && cloudSize == other.cloudSize && vector.equals(other.vector)
                && cloud.equals(other.cloud);
    }

    @Override
    public int hashCode() {
        return Objects.hash(vector, cloud);
    }

    @Override
    public String toString() {
        return "CausalContext[vector=" + vector + ", cloud=" + cloud + "]";
    }

    /** The cloud as dots, without copying it. */
    private final class CloudView extends AbstractSet<Dot> {
        @Override
        public int size() {
            return cloudSize;
        }

        @Override
        public boolean contains(Object o) {
            if (!(o instanceof Dot d)) {
                return false;
            }
            PSortedSet<Long> counters = cloud.get(d.replica());
            return counters != null && counters.contains(d.counter());
        }

        @Override
        public Iterator<Dot> iterator() {
            Iterator<Map.Entry<String, PSortedSet<Long>>> replicas = cloud.entrySet().iterator();
            return new Iterator<>() {
                private String replica;
                private Iterator<Long> counters = java.util.Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!counters.hasNext() && replicas.hasNext()) {
                        Map.Entry<String, PSortedSet<Long>> e = replicas.next();
                        replica = e.getKey();
                        counters = e.getValue().iterator();
                    }
                    return counters.hasNext();
                }

                @Override
                public Dot next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return new Dot(replica, counters.next());
                }
            };
        }
    }
}
