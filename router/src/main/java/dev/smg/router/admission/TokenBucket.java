package dev.smg.router.admission;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A token bucket: {@code rate} tokens per second, holding at most {@code burst}; its rate can be
 * changed while it runs ({@link #setRate}) without refilling it.
 * <p>
 * Lock-free, because every admitted request passes through it: the bucket is kept as a generic cell
 * rate algorithm (GCRA). One {@link AtomicLong} holds the <em>theoretical arrival time</em> (TAT),
 * the instant at which the bucket would be full again; a token is one emission interval
 * {@code T = 1/rate} of it. At time {@code now} the bucket holds
 * {@code burst - max(0, TAT - now) / T} tokens, so taking one is "TAT := max(TAT, now) + T, unless
 * that leaves fewer than zero tokens", a single compare-and-set. This is exactly the continuous
 * token bucket (refill at the rate, capped at the burst), without a monitor. The interval is whole
 * nanoseconds: below 10^6 requests per second the rate is off by less than 0.05%.
 * <p>
 * The rate and burst live with their TAT in one immutable {@link Phase}. {@link #setRate} seals the
 * current phase's TAT (one {@code getAndSet}, so no concurrent take is lost: a take that read the
 * old value fails its compare-and-set and retries on the new phase), converts the tokens left into
 * the new phase and publishes it. A take that meets a sealed phase spins for the few instructions
 * until the new one is published. Rate changes are rare (the cluster limit rebalances every 100 ms).
 */
public final class TokenBucket implements RateLimiter {
    /** The TAT of a phase that has been replaced; never a real clock reading in practice. */
    private static final long SEALED = Long.MIN_VALUE;
    /** What a paused (rate 0) bucket tells an empty-handed caller: try again in a second. */
    private static final long PAUSED_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final LongSupplier clock;
    private volatile Phase phase;

    /** A bucket that starts full: {@code burst} requests may start at once. */
    public TokenBucket(double ratePerSecond, double burst, LongSupplier clock) {
        if (ratePerSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("rate must be positive and burst at least 1");
        }
        this.clock = clock;
        long now = clock.getAsLong();
        this.phase = Phase.holding(ratePerSecond, burst, burst, now);
    }

    private TokenBucket(LongSupplier clock) {
        this.clock = clock;
        this.phase = Phase.holding(0, 1, 0, clock.getAsLong());
    }

    /**
     * A bucket with no tokens and no rate: it admits nothing until {@link #setRate} gives it one, and
     * then fills from empty (a bucket whose rate is being handed out must not start with a free burst).
     */
    public static TokenBucket empty(LongSupplier clock) {
        return new TokenBucket(clock);
    }

    /** Takes one token; returns 0 on success, else the nanoseconds until one will be available. */
    @Override
    public long tryTake() {
        for (;;) {
            Phase p = phase;
            long tat = p.tat.get();
            if (tat == SEALED) {
                Thread.onSpinWait(); // a rate change is publishing its phase
                continue;
            }
            long now = p.now(clock);
            long from = Math.max(tat, now);
            long excess = from - now - p.toleranceNanos; // > 0: less than one token left
            if (excess > 0) {
                return p.paused ? PAUSED_WAIT_NANOS : excess;
            }
            if (p.tat.compareAndSet(tat, from + p.intervalNanos)) {
                return 0;
            }
        }
    }

    /**
     * Changes the rate and burst from now on, keeping the tokens the bucket holds (filled at the old
     * rate up to now, then capped at the new burst): unlike a fresh bucket, it does not start full.
     * A rate of 0 pauses refilling; the tokens left can still be taken.
     */
    public void setRate(double ratePerSecond, double burst) {
        if (ratePerSecond < 0 || burst < 1 || Double.isNaN(ratePerSecond)) {
            throw new IllegalArgumentException("rate must not be negative and burst at least 1");
        }
        long now = clock.getAsLong();
        for (;;) {
            Phase p = phase;
            long tat = p.tat.getAndSet(SEALED);
            if (tat == SEALED) {
                Thread.onSpinWait(); // another rate change is publishing
                continue;
            }
            phase = Phase.holding(ratePerSecond, burst, p.tokens(tat, p.now(now)), now);
            return;
        }
    }

    /** Tokens in the bucket now (for tests and diagnostics; may be stale by the time it returns). */
    public double tokens() {
        for (;;) {
            Phase p = phase;
            long tat = p.tat.get();
            if (tat != SEALED) {
                return p.tokens(tat, p.now(clock));
            }
            Thread.onSpinWait();
        }
    }

    /**
     * One rate and burst with the TAT they apply to. A paused phase (rate 0) freezes its clock at its
     * start, so nothing refills; its nominal interval of one second only scales the tokens it holds.
     */
    private static final class Phase {
        final long intervalNanos;
        final long toleranceNanos;
        final double burst;
        final boolean paused;
        final long frozenAt;
        final AtomicLong tat;

        private Phase(long intervalNanos, double burst, boolean paused, long frozenAt, long tat) {
            this.intervalNanos = intervalNanos;
            // Headroom below Long.MAX_VALUE for TAT + tolerance arithmetic on absolute clock values.
            this.toleranceNanos = (long) Math.min((burst - 1) * intervalNanos, Long.MAX_VALUE / 4.0);
            this.burst = burst;
            this.paused = paused;
            this.frozenAt = frozenAt;
            this.tat = new AtomicLong(tat);
        }

        /** A phase at {@code now} holding {@code tokens} (capped at the burst). */
        static Phase holding(double ratePerSecond, double burst, double tokens, long now) {
            boolean paused = ratePerSecond == 0;
            long interval = paused ? PAUSED_WAIT_NANOS : Math.max(1, Math.round(1e9 / ratePerSecond));
            double missing = burst - Math.max(0, Math.min(tokens, burst));
            long tat = now + (long) Math.min(Math.ceil(missing * interval), Long.MAX_VALUE / 4.0);
            return new Phase(interval, burst, paused, now, tat);
        }

        long now(LongSupplier clock) {
            return paused ? frozenAt : clock.getAsLong();
        }

        long now(long clockNow) {
            return paused ? frozenAt : clockNow;
        }

        double tokens(long tat, long now) {
            return burst - (double) Math.max(0, tat - now) / intervalNanos;
        }
    }
}
