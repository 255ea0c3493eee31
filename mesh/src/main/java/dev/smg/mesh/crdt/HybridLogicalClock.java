package dev.smg.mesh.crdt;

import java.util.function.LongSupplier;

/**
 * Hybrid logical clock (Kulkarni et al.): local events get a timestamp greater than every
 * timestamp this replica has issued or received, close to wall-clock time when clocks agree. So
 * when one host's clock is a minute behind, a write it makes after seeing a peer's write still
 * orders after it: last-writer-wins follows causality, not whichever clock is faster. Not
 * thread-safe: it lives on the single mesh loop.
 */
public final class HybridLogicalClock {
    private final String replica;
    private final LongSupplier wallClock;
    private long wall;
    private int logical;

    public HybridLogicalClock(String replica, LongSupplier wallClock) {
        this.replica = replica;
        this.wallClock = wallClock;
    }

    public HybridLogicalClock(String replica) {
        this(replica, System::currentTimeMillis);
    }

    /** A timestamp for a local event (a write). */
    public HlcTimestamp now() {
        long physical = wallClock.getAsLong();
        if (physical > wall) {
            wall = physical;
            logical = 0;
        } else {
            logical++;
        }
        return new HlcTimestamp(wall, logical, replica);
    }

    /** Folds in a timestamp received from a peer, so later local events order after it. */
    public void observe(HlcTimestamp remote) {
        long physical = wallClock.getAsLong();
        long max = Math.max(physical, Math.max(wall, remote.wallMillis()));
        if (max == wall && max == remote.wallMillis()) {
            logical = Math.max(logical, remote.logical()) + 1;
        } else if (max == wall) {
            logical++;
        } else if (max == remote.wallMillis()) {
            logical = remote.logical() + 1;
        } else {
            logical = 0;
        }
        wall = max;
    }
}
