package dev.smg.mesh.crdt;

import org.pcollections.HashTreePMap;
import org.pcollections.PMap;

import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Observed-remove set with add-wins semantics, as a delta-state CRDT with dots (no tombstone per
 * element): each add is tagged with a fresh dot; a remove deletes the dots it has observed and
 * remembers them only in the causal context. On merge, an element survives if some dot of it is
 * on both sides, or on one side and not yet seen by the other; so a remove never cancels a
 * concurrent add it did not observe.
 * <p>
 * Persistent: entries, the index from dot to element and the context are persistent structures, so
 * merging a delta costs O(the delta × log n), never a copy of the set. The index is what lets a
 * remove delta (which carries only dots) find the elements it removes without scanning them all. It
 * relies on each dot supporting one element: dots are unique events (a store's identity is unique
 * per process start), and {@link #OrSet(Map, CausalContext)} refuses a state where one is shared.
 */
public final class OrSet<E> implements Crdt<OrSet<E>> {
    private static final OrSet<?> EMPTY = new OrSet<>(HashTreePMap.empty(), HashTreePMap.empty(), CausalContext.EMPTY);

    /** Element to the dots that currently support it; no empty sets. */
    private final PMap<E, Set<Dot>> entries;
    /** Each live dot to the element it supports: the inverse of {@link #entries}. */
    private final PMap<Dot, E> holders;
    private final CausalContext context;

    private OrSet(PMap<E, Set<Dot>> entries, PMap<Dot, E> holders, CausalContext context) {
        this.entries = entries;
        this.holders = holders;
        this.context = context;
    }

    /**
     * A set state from plain maps (a decoded delta, a repair): elements without dots are dropped.
     *
     * @param entries element to the dots that currently support it
     * @param context every dot this state has seen (adds and the removed ones)
     * @throws IllegalArgumentException when one dot supports two elements
     */
    public OrSet(Map<E, Set<Dot>> entries, CausalContext context) {
        this(index(entries), Objects.requireNonNull(context));
    }

    private OrSet(OrSet<E> built, CausalContext context) {
        this(built.entries, built.holders, context);
    }

    private static <E> OrSet<E> index(Map<E, Set<Dot>> entries) {
        PMap<E, Set<Dot>> es = HashTreePMap.empty();
        PMap<Dot, E> hs = HashTreePMap.empty();
        for (Map.Entry<E, Set<Dot>> e : entries.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            es = es.plus(e.getKey(), Set.copyOf(e.getValue()));
            for (Dot d : e.getValue()) {
                E before = hs.get(d);
                if (before != null && !before.equals(e.getKey())) {
                    throw new IllegalArgumentException("dot " + d + " supports two elements");
                }
                hs = hs.plus(d, e.getKey());
            }
        }
        return new OrSet<>(es, hs, CausalContext.EMPTY);
    }

    @SuppressWarnings("unchecked")
    public static <E> OrSet<E> empty() {
        return (OrSet<E>) EMPTY;
    }

    /** Element to the dots that currently support it (read-only). */
    public Map<E, Set<Dot>> entries() {
        return entries;
    }

    /** Every dot this state has seen (adds and the removed ones). */
    public CausalContext context() {
        return context;
    }

    public boolean contains(E element) {
        return entries.containsKey(element);
    }

    public Set<E> elements() {
        return entries.keySet();
    }

    /** The live element {@code dot} supports, or null (removed, or never seen here). */
    public E holder(Dot dot) {
        return holders.get(dot);
    }

    /** The delta of {@code replica} adding {@code element}. */
    public OrSet<E> addDelta(String replica, E element) {
        Dot dot = context.next(replica);
        Set<Dot> observed = entries.getOrDefault(element, Set.of());
        // The new dot replaces the observed ones (they go into the delta's context as removed).
        CausalContext ctx = CausalContext.EMPTY.with(dot);
        for (Dot d : observed) {
            ctx = ctx.with(d);
        }
        return new OrSet<>(Map.of(element, Set.of(dot)), ctx);
    }

    /** The delta of removing {@code element}: it carries only the observed dots, as removed. */
    public OrSet<E> removeDelta(E element) {
        return new OrSet<>(Map.of(), CausalContext.of(entries.getOrDefault(element, Set.of())));
    }

    /**
     * Elements this state holds that merging {@code delta} can change: the delta's own and those
     * supported by a dot the delta's context covers. O(the delta), like {@link #merge}.
     */
    public Set<E> touchedBy(OrSet<E> delta) {
        Set<E> touched = new HashSet<>(delta.entries.keySet());
        forEachCovered(delta.context, (element, dot) -> touched.add(element));
        return touched;
    }

    @Override
    public OrSet<E> merge(OrSet<E> other) {
        if (other == this || other == EMPTY) {
            return this;
        }
        PMap<E, Set<Dot>> es = entries;
        PMap<Dot, E> hs = holders;
        // Elements the other side holds: the join of both sides' dots.
        for (Map.Entry<E, Set<Dot>> entry : other.entries.entrySet()) {
            E e = entry.getKey();
            Set<Dot> mine = entries.getOrDefault(e, Set.of());
            Set<Dot> theirs = entry.getValue();
            Set<Dot> kept = new HashSet<>();
            for (Dot d : mine) {
                if (theirs.contains(d) || !other.context.contains(d)) {
                    kept.add(d);
                }
            }
            for (Dot d : theirs) {
                if (mine.contains(d) || !context.contains(d)) {
                    kept.add(d);
                }
            }
            if (kept.equals(mine)) {
                continue;
            }
            es = kept.isEmpty() ? es.minus(e) : es.plus(e, Set.copyOf(kept));
            for (Dot d : mine) {
                if (!kept.contains(d)) {
                    hs = hs.minus(d);
                }
            }
            for (Dot d : kept) {
                if (!mine.contains(d)) {
                    hs = hs.plus(d, e);
                }
            }
        }
        // Elements only this side holds lose the dots the other side has seen removed.
        Removals<E> removals = new Removals<>(es, hs, other.entries);
        forEachCovered(other.context, removals);
        CausalContext ctx = context.merge(other.context);
        if (removals.entries == entries && ctx == context) {
            return this;
        }
        return new OrSet<>(removals.entries, removals.holders, ctx);
    }

    /** Drops covered dots of elements the delta does not hold itself (those were joined above). */
    private static final class Removals<E> implements BiConsumer<E, Dot> {
        PMap<E, Set<Dot>> entries;
        PMap<Dot, E> holders;
        private final Map<E, Set<Dot>> skip;

        Removals(PMap<E, Set<Dot>> entries, PMap<Dot, E> holders, Map<E, Set<Dot>> skip) {
            this.entries = entries;
            this.holders = holders;
            this.skip = skip;
        }

        @Override
        public void accept(E element, Dot dot) {
            if (skip.containsKey(element)) {
                return;
            }
            Set<Dot> dots = entries.get(element);
            Set<Dot> left = new HashSet<>(dots);
            left.remove(dot);
            entries = left.isEmpty() ? entries.minus(element) : entries.plus(element, Set.copyOf(left));
            holders = holders.minus(dot);
        }
    }

    /**
     * Calls {@code action} for each live dot of this state that {@code seen} covers, with its
     * element: by walking {@code seen}'s dots through the index when it holds fewer dots than this
     * state has live ones (a delta: the usual case), else by walking the live dots.
     */
    private void forEachCovered(CausalContext seen, BiConsumer<E, Dot> action) {
        if (seen.dotCount() <= holders.size()) {
            seen.forEachDot(dot -> {
                E element = holders.get(dot);
                if (element != null) {
                    action.accept(element, dot);
                }
            });
        } else {
            for (Map.Entry<Dot, E> live : holders.entrySet()) {
                if (seen.contains(live.getKey())) {
                    action.accept(live.getValue(), live.getKey());
                }
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OrSet<?> other && entries.equals(other.entries) && context.equals(other.context);
    }

    @Override
    public int hashCode() {
        return Objects.hash(entries, context);
    }

    @Override
    public String toString() {
        return "OrSet[entries=" + entries + ", context=" + context + "]";
    }
}
