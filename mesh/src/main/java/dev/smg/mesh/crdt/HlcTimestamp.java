package dev.smg.mesh.crdt;

import java.util.Comparator;

/**
 * A hybrid logical clock reading: wall-clock milliseconds (the largest seen), a logical counter
 * that orders events within the same millisecond or while a peer's clock runs ahead, and the
 * replica as the final tie-break. Totally ordered; causally later events always compare greater,
 * whatever the hosts' wall clocks say.
 */
public record HlcTimestamp(long wallMillis, int logical, String replica) implements Comparable<HlcTimestamp> {
    public static final HlcTimestamp ZERO = new HlcTimestamp(0, 0, "");
    private static final Comparator<HlcTimestamp> ORDER = Comparator.comparingLong(HlcTimestamp::wallMillis)
            .thenComparingInt(HlcTimestamp::logical).thenComparing(HlcTimestamp::replica);

    @Override
    public int compareTo(HlcTimestamp other) {
        return ORDER.compare(this, other);
    }
}
