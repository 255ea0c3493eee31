package dev.smg.mesh.membership;

import java.util.HashSet;
import java.util.Set;

/**
 * One suspicion of one member (Lifeguard style), owning its confirmation arithmetic and its
 * deadline. The timeout starts at {@code max} and shrinks towards {@code min} as independent
 * members confirm the suspicion:
 * {@code timeout(c) = max(min, max - (max - min) * log(c + 1) / log(k + 1))} for c confirmations
 * out of k expected. A lone suspecter (perhaps the one with the bad link) waits long; a suspicion
 * shared by several members resolves fast.
 */
final class SuspicionTimer {
    private final long startNanos;
    private final long minNanos;
    private final long maxNanos;
    private final int expected;
    private final Set<String> confirmers = new HashSet<>();
    /** The pending expiry, replaced whenever the deadline moves; null before the first arming. */
    private Scheduler.Cancellable deadline;

    SuspicionTimer(long startNanos, long minNanos, long maxNanos, int expected) {
        this.startNanos = startNanos;
        this.minNanos = minNanos;
        this.maxNanos = Math.max(minNanos, maxNanos);
        this.expected = expected;
    }

    /** Records a confirmation; returns true when it was new (so the deadline moved). */
    boolean confirm(String from) {
        return confirmers.add(from);
    }

    long timeoutNanos() {
        if (expected < 1) {
            return minNanos;
        }
        int c = Math.min(confirmers.size(), expected);
        double fraction = Math.log(c + 1.0) / Math.log(expected + 1.0);
        return Math.max(minNanos, (long) (maxNanos - (maxNanos - minNanos) * fraction));
    }

    long deadlineNanos() {
        return startNanos + timeoutNanos();
    }

    int confirmations() {
        return confirmers.size();
    }

    /** Runs {@code onExpiry} at the deadline as it stands now (at once if it has passed), instead of any earlier arming. */
    void arm(Timers timers, Runnable onExpiry) {
        armIn(timers, Math.max(0, deadlineNanos() - timers.now()), onExpiry);
    }

    /** Runs {@code onExpiry} after {@code delayNanos} instead of any earlier arming. */
    void armIn(Timers timers, long delayNanos, Runnable onExpiry) {
        disarm();
        deadline = timers.after(delayNanos, onExpiry);
    }

    /** The suspicion ended (refuted, convicted, or the member departed): its expiry must not run. */
    void disarm() {
        if (deadline != null) {
            deadline.cancel();
            deadline = null;
        }
    }
}
