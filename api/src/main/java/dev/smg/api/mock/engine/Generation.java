package dev.smg.api.mock.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One request's link between the HTTP thread that waits for tokens and the engine thread that
 * produces them. The engine publishes progress (tokens so far, whether done); the HTTP thread
 * waits for it and may {@link #cancel()} when its client goes away. Holds counters, never a queue of
 * tokens, so a slow reader costs no memory.
 */
public final class Generation {
    /** Where a request stands. */
    public enum State { QUEUED, RUNNING, FINISHED, DROPPED }

    /** What the HTTP thread sees. */
    public record Progress(State state, int tokens, int cachedTokens) {
        public boolean over() {
            return state == State.FINISHED || state == State.DROPPED;
        }
    }

    private final int[] promptTokens;
    private final int outputTokens;
    private volatile boolean cancelled;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private State state = State.QUEUED;
    private int tokens;
    private int cachedTokens;

    public Generation(int[] promptTokens, int outputTokens) {
        if (outputTokens < 1) {
            throw new IllegalArgumentException("outputTokens must be >= 1");
        }
        this.promptTokens = promptTokens;
        this.outputTokens = outputTokens;
    }

    public int promptLength() {
        return promptTokens.length;
    }

    int[] promptTokens() {
        return promptTokens;
    }

    public int outputTokens() {
        return outputTokens;
    }

    /** The client went away: the engine drops the request at its next step. */
    public void cancel() {
        cancelled = true;
    }

    public boolean cancelled() {
        return cancelled;
    }

    public Progress progress() {
        lock.lock();
        try {
            return new Progress(state, tokens, cachedTokens);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until more than {@code seenTokens} tokens are out or the request is over, at most
     * {@code timeout}; returns the progress then.
     */
    public Progress awaitBeyond(int seenTokens, long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (tokens <= seenTokens && state != State.FINISHED && state != State.DROPPED && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            return new Progress(state, tokens, cachedTokens);
        } finally {
            lock.unlock();
        }
    }

    /** Engine side: {@code generated} tokens are out; {@code done} when that is all of them. */
    void publish(int cached, int generated, boolean done) {
        lock.lock();
        try {
            if (state == State.DROPPED) {
                return;
            }
            cachedTokens = cached;
            tokens = generated;
            state = done ? State.FINISHED : State.RUNNING;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Engine side: the request will produce nothing more. */
    void drop() {
        lock.lock();
        try {
            if (state != State.FINISHED) {
                state = State.DROPPED;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }
}
