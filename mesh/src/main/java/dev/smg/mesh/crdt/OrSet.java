package dev.smg.mesh.crdt;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Observed-remove set with add-wins semantics, as a delta-state CRDT with dots (no tombstone per
 * element): each add is tagged with a fresh dot; a remove deletes the dots it has observed and
 * remembers them only in the causal context. On merge, an element survives if some dot of it is
 * on both sides, or on one side and not yet seen by the other; so a remove never cancels a
 * concurrent add it did not observe.
 *
 * @param entries element to the dots that currently support it
 * @param context every dot this state has seen (adds and the removed ones)
 */
public record OrSet<E>(Map<E, Set<Dot>> entries, CausalContext context) implements Crdt<OrSet<E>> {
    public OrSet {
        Map<E, Set<Dot>> copy = new HashMap<>();
        entries.forEach((e, dots) -> {
            if (!dots.isEmpty()) {
                copy.put(e, Set.copyOf(dots));
            }
        });
        entries = Map.copyOf(copy);
    }

    public static <E> OrSet<E> empty() {
        return new OrSet<>(Map.of(), CausalContext.EMPTY);
    }

    public boolean contains(E element) {
        return entries.containsKey(element);
    }

    public Set<E> elements() {
        return entries.keySet();
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
        CausalContext ctx = CausalContext.EMPTY;
        for (Dot d : entries.getOrDefault(element, Set.of())) {
            ctx = ctx.with(d);
        }
        return new OrSet<>(Map.of(), ctx);
    }

    @Override
    public OrSet<E> merge(OrSet<E> other) {
        Map<E, Set<Dot>> out = new HashMap<>();
        Set<E> keys = new HashSet<>(entries.keySet());
        keys.addAll(other.entries.keySet());
        for (E e : keys) {
            Set<Dot> mine = entries.getOrDefault(e, Set.of());
            Set<Dot> theirs = other.entries.getOrDefault(e, Set.of());
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
            if (!kept.isEmpty()) {
                out.put(e, kept);
            }
        }
        return new OrSet<>(out, context.merge(other.context));
    }
}
