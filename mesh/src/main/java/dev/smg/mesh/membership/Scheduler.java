package dev.smg.mesh.membership;

/**
 * Time and timers for the membership state machine: the real mesh loop in production, a
 * simulated clock in tests. Every callback runs on the same single thread as the state machine.
 */
public interface Scheduler {
    /** Monotonic time in nanoseconds. */
    long nanoTime();

    /** Runs {@code task} after {@code delayNanos}; the returned handle cancels it. */
    Cancellable schedule(long delayNanos, Runnable task);

    interface Cancellable {
        void cancel();
    }
}
