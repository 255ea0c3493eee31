package dev.smg.mesh.crdt;

/** One event: the {@code counter}-th event of {@code replica}. */
public record Dot(String replica, long counter) {
}
