package dev.smg.mesh.crdt;

/**
 * A state-based CRDT: an immutable value with a join. {@code merge} must be commutative,
 * associative and idempotent (a join-semilattice), so replicas that have seen the same updates,
 * in any order and any number of times, hold equal values. Deltas are values of the same type
 * (delta-state CRDTs): merging a delta is merging a (small) state, so re-sending is harmless.
 */
public interface Crdt<T extends Crdt<T>> {
    T merge(T other);
}
