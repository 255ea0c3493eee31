package dev.smg.api.mock;

import io.helidon.webserver.CloseConnectionException;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A worker's death on demand, for failover tests: counts the content tokens its streams write and,
 * once the N-th one is out, makes every generation handler crash or stall at its next write.
 *
 * <p>Handlers call {@link #writeToken} for every content token, {@link #checkpoint()} before any
 * other write (headers, final chunk, {@code [DONE]}, a whole body, an error) and {@link #pause}
 * instead of sleeping. A crash throws Helidon's {@link CloseConnectionException} from the handler:
 * Helidon closes the socket at once without finishing the response, so a stream stops in the
 * middle of its chunked body (no terminating chunk, no {@code [DONE]}) and the client reads an
 * error, not a clean end. Nothing may close the response's output stream on that path, or Helidon
 * would write the terminating chunk first. A stall blocks the handler before it writes a byte.
 */
final class DeathSwitch {
    /** One write of a token's event. */
    interface Write {
        void run() throws IOException;
    }

    private final Runnable onCrash;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private DeathMode mode = DeathMode.NONE;
    /** Content tokens still to be written before the death, while armed. */
    private int remaining;
    /** The last allowed token is being written: other writers wait so none gets past it. */
    private boolean lastInFlight;
    /** The death has come (mode says which). */
    private boolean triggered;
    /** A crash is final: the server is stopping. */
    private boolean crashed;
    /** The worker is stopping: stalled handlers end. */
    private boolean stopped;
    /** Bumped by every {@link #arm}, so a token counted under an earlier arming cannot trigger a later one. */
    private long armings;

    /** @param onCrash run once, when a crash comes, to stop the worker's server (must not block the caller long) */
    DeathSwitch(Runnable onCrash) {
        this.onCrash = onCrash;
    }

    /**
     * Dies in {@code mode} once {@code afterTokens} more content tokens have been written, counted
     * over all streams; 0 means now. {@link DeathMode#NONE} disarms and lifts a stall (a crash that
     * has happened cannot be undone).
     */
    void arm(int afterTokens, DeathMode mode) {
        long armed;
        if (afterTokens < 0) {
            throw new IllegalArgumentException("afterTokens must be >= 0, got " + afterTokens);
        }
        lock.lock();
        try {
            this.mode = mode;
            this.remaining = afterTokens;
            this.triggered = false;
            this.lastInFlight = false;
            armed = ++armings;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (mode != DeathMode.NONE && afterTokens == 0) {
            die(armed);
        }
    }

    /** The worker is stopping: stalled handlers give up (their connections are closed). */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes one content token, unless the death has come (crash: throws; stall: blocks); the N-th
     * token is written and then the death comes, for this stream too.
     */
    void writeToken(Write write) throws IOException {
        boolean last;
        long armed;
        lock.lock();
        try {
            awaitWritable();
            last = mode != DeathMode.NONE && --remaining == 0;
            lastInFlight = last;
            armed = armings;
        } finally {
            lock.unlock();
        }
        try {
            write.run();
        } finally {
            if (last) {
                die(armed);
            }
        }
        checkpoint();
    }

    /** Before a write that is not a content token: returns if it may go ahead (crash: throws; stall: blocks). */
    void checkpoint() {
        lock.lock();
        try {
            awaitWritable();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits {@code millis} of simulated generation time, ending early when the death comes (the
     * caller's next write then crashes or stalls). An interrupt (the server stopping) ends it too,
     * with the interrupt flag kept, as {@code Thread.sleep} did.
     */
    void pause(long millis) {
        if (millis <= 0) {
            return;
        }
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
            while (nanos > 0 && !triggered && !crashed) {
                nanos = changed.awaitNanos(nanos); // simulated generation time, cut short by a death
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Holding the lock: returns when a write may go ahead, throws when the connection must be cut. */
    private void awaitWritable() {
        while (true) {
            if (crashed) {
                throw new CloseConnectionException("mock worker crashed (told to die)");
            }
            boolean stalled = triggered && mode == DeathMode.STALL;
            if (!stalled && !lastInFlight) {
                return;
            }
            if (stopped) {
                throw new CloseConnectionException("mock worker stopped while stalled");
            }
            try {
                changed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CloseConnectionException("mock worker interrupted while stalled", e);
            }
        }
    }

    private void die(long armed) {
        boolean crash;
        lock.lock();
        try {
            if (armed != armings) {
                return; // re-armed or reset meanwhile
            }
            triggered = true;
            lastInFlight = false;
            crash = mode == DeathMode.CRASH && !crashed;
            crashed |= crash;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (crash) {
            onCrash.run();
        }
    }
}
