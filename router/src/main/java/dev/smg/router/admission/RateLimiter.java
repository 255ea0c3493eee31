package dev.smg.router.admission;

/** Decides whether one more request may start now, by rate. */
public interface RateLimiter {
    /** Takes one request's worth; returns 0 when admitted, else the nanoseconds until one could be. */
    long tryTake();
}
