package dev.smg.router.admission;

import java.util.function.LongSupplier;

/**
 * A token bucket: {@code rate} tokens per second, holding at most {@code burst}. Critical sections
 * are a few arithmetic operations, so a monitor is the simplest correct choice.
 */
public final class TokenBucket implements RateLimiter {
    private final double ratePerNano;
    private final double burst;
    private final LongSupplier clock;
    private double tokens;
    private long lastRefill;

    public TokenBucket(double ratePerSecond, double burst, LongSupplier clock) {
        if (ratePerSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("rate must be positive and burst at least 1");
        }
        this.ratePerNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.clock = clock;
        this.tokens = burst;
        this.lastRefill = clock.getAsLong();
    }

    /** Takes one token; returns 0 on success, else the nanoseconds until one will be available. */
    @Override
    public synchronized long tryTake() {
        long now = clock.getAsLong();
        tokens = Math.min(burst, tokens + (now - lastRefill) * ratePerNano);
        lastRefill = now;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return (long) Math.ceil((1 - tokens) / ratePerNano);
    }
}
