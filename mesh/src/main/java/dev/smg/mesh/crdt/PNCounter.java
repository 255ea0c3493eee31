package dev.smg.mesh.crdt;

/** Counter that goes both ways: increments and decrements are two G-Counters. */
public record PNCounter(GCounter increments, GCounter decrements) implements Crdt<PNCounter> {
    public static final PNCounter EMPTY = new PNCounter(GCounter.EMPTY, GCounter.EMPTY);

    public long value() {
        return increments.value() - decrements.value();
    }

    public PNCounter addDelta(String replica, long amount) {
        return amount >= 0
                ? new PNCounter(increments.incrementDelta(replica, amount), GCounter.EMPTY)
                : new PNCounter(GCounter.EMPTY, decrements.incrementDelta(replica, -amount));
    }

    @Override
    public PNCounter merge(PNCounter other) {
        return new PNCounter(increments.merge(other.increments), decrements.merge(other.decrements));
    }
}
