package dev.smg.api.gateway;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the process is in its life, and how many requests are in flight. Readiness turns to 503 the
 * moment draining starts; new requests are still served during the settle period (load balancers
 * need a moment to notice); after it they are refused with 503 while in-flight ones finish.
 */
public final class DrainState {
    public enum Phase { SERVING, SETTLING, DRAINING }

    private volatile Phase phase = Phase.SERVING;
    private final AtomicInteger inFlight = new AtomicInteger();

    public Phase phase() {
        return phase;
    }

    public boolean isDraining() {
        return phase != Phase.SERVING;
    }

    public boolean refusesNewRequests() {
        return phase == Phase.DRAINING;
    }

    void settle() {
        phase = Phase.SETTLING;
    }

    void drain() {
        phase = Phase.DRAINING;
    }

    public int inFlight() {
        return inFlight.get();
    }

    void enter() {
        inFlight.incrementAndGet();
    }

    void leave() {
        inFlight.decrementAndGet();
    }
}
