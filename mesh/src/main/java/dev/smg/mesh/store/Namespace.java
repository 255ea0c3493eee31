package dev.smg.mesh.store;

import dev.smg.mesh.crdt.Crdt;

import java.util.Objects;

/**
 * A named part of the replicated store holding one kind of CRDT per key (workers: LWW registers,
 * rate limits: counters, ...). Namespaces are declared before the store starts, so a delta for an
 * unknown namespace is refused instead of being merged with the wrong semantics (a mistake
 * upstream had to guard against by start-up ordering).
 *
 * @param name  e.g. "workers"
 * @param empty the value of a key nobody has written
 */
public record Namespace<V extends Crdt<V>>(String name, V empty) {
    public Namespace {
        Objects.requireNonNull(name);
        Objects.requireNonNull(empty);
    }
}
