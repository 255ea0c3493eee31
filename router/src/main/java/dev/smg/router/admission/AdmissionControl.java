package dev.smg.router.admission;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission for inference requests: an optional token-bucket rate limit
 * ({@code --rate-limit-tokens-per-second}, 429 with Retry-After when empty) and an optional hard
 * concurrency cap ({@code --max-concurrent-requests}) with a bounded FIFO wait queue
 * ({@code --queue-size}: 429 when full) and a wait limit ({@code --queue-timeout-secs}: 408).
 * The cap is a true semaphore: at most N requests are ever inside, whatever the rate (upstream's
 * refilling bucket let more through).
 */
public final class AdmissionControl {
    /** How an admission attempt ended. */
    public sealed interface Decision permits Admitted, Refused {
    }

    /** Inside: {@link Admitted#close()} exactly when the response (stream included) is finished. */
    public static final class Admitted implements Decision, AutoCloseable {
        private final Semaphore slots;
        private boolean released;

        Admitted(Semaphore slots) {
            this.slots = slots;
        }

        @Override
        public void close() {
            if (!released && slots != null) {
                released = true;
                slots.release();
            }
        }
    }

    /**
     * @param status     429 (rate limit or full queue) or 408 (waited too long)
     * @param code       error code for the body and metrics
     * @param retryAfter seconds a client should wait (Retry-After), 0 when not meaningful
     */
    public record Refused(int status, String code, long retryAfter) implements Decision {
    }

    private final ResizableSemaphore slots;
    private volatile int maxConcurrent;
    private final int queueSize;
    private final Duration queueTimeout;
    private final List<RateLimiter> limiters;
    private final AtomicInteger waiting = new AtomicInteger();

    /**
     * @param maxConcurrent  cap, or 0 or less for none
     * @param ratePerSecond  rate limit, or 0 or less for none
     */
    public AdmissionControl(int maxConcurrent, int queueSize, Duration queueTimeout, double ratePerSecond) {
        this(maxConcurrent, queueSize, queueTimeout, ratePerSecond > 0
                ? List.of(new TokenBucket(ratePerSecond, Math.max(1, ratePerSecond), System::nanoTime))
                : List.of());
    }

    /**
     * @param limiters every one must admit a request (e.g. this router's bucket and the cluster's
     *                 share); empty for no rate limit
     */
    public AdmissionControl(int maxConcurrent, int queueSize, Duration queueTimeout,
                            List<RateLimiter> limiters) {
        this.slots = maxConcurrent > 0 ? new ResizableSemaphore(maxConcurrent) : null;
        this.maxConcurrent = Math.max(0, maxConcurrent);
        this.queueSize = queueSize;
        this.queueTimeout = queueTimeout;
        this.limiters = List.copyOf(limiters);
    }

    /** Blocks (a virtual thread) while queued. */
    public Decision admit() {
        for (RateLimiter limiter : limiters) {
            long wait = limiter.tryTake();
            if (wait > 0) {
                long seconds = TimeUnit.NANOSECONDS.toSeconds(wait + 999_999_999L); // rounded up
                return new Refused(429, "rate_limit_exceeded", Math.max(1, seconds));
            }
        }
        if (slots == null) {
            return new Admitted(null);
        }
        // The timed form with zero wait honours the semaphore's fairness (plain tryAcquire() barges
        // ahead of queued waiters), so the wait queue is really first come, first served.
        try {
            if (slots.tryAcquire(0, TimeUnit.NANOSECONDS)) {
                return new Admitted(slots);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Refused(408, "queue_timeout", 0);
        }
        if (waiting.incrementAndGet() > queueSize) {
            waiting.decrementAndGet();
            return new Refused(429, "queue_full", 1);
        }
        try {
            if (slots.tryAcquire(queueTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return new Admitted(slots);
            }
            return new Refused(408, "queue_timeout", 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Refused(408, "queue_timeout", 0);
        } finally {
            waiting.decrementAndGet();
        }
    }

    /**
     * Changes the concurrency cap (at least 1), e.g. to this router's share of a cluster-wide cap.
     * Requests already inside stay; a lower cap admits no one new until enough have left. Does
     * nothing when the gateway was started without a cap.
     */
    public synchronized void resize(int cap) {
        if (slots == null) {
            return;
        }
        int next = Math.max(1, cap);
        int delta = next - maxConcurrent;
        if (delta > 0) {
            slots.release(delta);
        } else if (delta < 0) {
            slots.shrink(-delta);
        }
        maxConcurrent = next;
    }

    /** The concurrency cap in force, 0 when there is none. */
    public int maxConcurrent() {
        return slots == null ? 0 : maxConcurrent;
    }

    /** A fair semaphore whose permits can also be taken away (possibly going negative). */
    private static final class ResizableSemaphore extends Semaphore {
        ResizableSemaphore(int permits) {
            super(permits, true);
        }

        void shrink(int permits) {
            reducePermits(permits);
        }
    }

    public int waiting() {
        return waiting.get();
    }

    /** Requests inside the concurrency cap right now (0 without a cap). */
    public int inside() {
        return slots == null ? 0 : Math.max(0, maxConcurrent - slots.availablePermits());
    }
}
