package dev.smg.router.worker;

import dev.smg.router.breaker.BreakerSettings;
import dev.smg.router.breaker.CircuitBreaker;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One inference worker as the router sees it: identity and configuration (immutable but for the
 * weight, see {@link #reweigh}), its status in
 * the health state machine, its circuit breaker, and the live request count the gateway itself
 * keeps (so load-aware policies work over plain HTTP; upstream's only counted for two policies).
 */
public final class Worker {
    private final String id;
    /** Replaced only by {@link #reweigh}, with a spec that differs in its weight alone. */
    private volatile WorkerSpec spec;
    /** The URL as text, made once (a reweigh keeps the URL): load views key by it on every routing decision. */
    private final String urlText;
    private final CircuitBreaker breaker;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();

    private volatile WorkerStatus status = WorkerStatus.PENDING;
    /** Models learned from the worker's /v1/models when the spec named none. */
    private volatile List<String> discoveredModels = List.of();
    private int consecutiveProbeFailures;
    private int consecutiveProbeSuccesses;

    public Worker(String id, WorkerSpec spec, BreakerSettings breakerSettings, CircuitBreaker.Listener breakerListener) {
        this.id = Objects.requireNonNull(id);
        this.spec = Objects.requireNonNull(spec);
        this.urlText = spec.url().toString();
        this.breaker = new CircuitBreaker(breakerSettings, breakerListener);
    }

    /** A worker with default breaker settings and no listener, for tests and tools. */
    public Worker(String id, WorkerUrl url, List<String> models, Optional<String> apiKey) {
        this(id, new WorkerSpec(url, models, apiKey, Map.of()), BreakerSettings.DEFAULTS, (from, to) -> { });
    }

    public String id() {
        return id;
    }

    public WorkerSpec spec() {
        return spec;
    }

    public WorkerUrl url() {
        return spec.url();
    }

    /** {@code url().toString()}, without building the string again. */
    public String urlText() {
        return urlText;
    }

    /** Its share of traffic relative to the other candidates (see {@link WorkerSpec#weight()}). */
    public int weight() {
        return spec.weight();
    }

    /**
     * Takes a spec that differs from this worker's in its weight alone, in place: status, breaker and
     * in-flight count stay, so a weight changed on another router moves traffic without a new probe
     * (and without losing count of the requests already on the worker). Returns false, changing
     * nothing, if anything else differs: such a change replaces the worker.
     */
    public synchronized boolean reweigh(WorkerSpec changed) {
        if (!spec.withWeight(changed.weight()).equals(changed)) {
            return false;
        }
        spec = changed;
        return true;
    }

    /** Models this worker serves: configured, else discovered; empty means "any model". */
    public List<String> models() {
        return spec.models().isEmpty() ? discoveredModels : spec.models();
    }

    public boolean serves(String model) {
        List<String> models = models();
        return model == null || models.isEmpty() || models.contains(model);
    }

    public Optional<String> apiKey() {
        return spec.apiKey();
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    public WorkerStatus status() {
        return status;
    }

    /** READY and its breaker lets traffic through. */
    public boolean isAvailable() {
        return status == WorkerStatus.READY && breaker.allowsTraffic();
    }

    public int inFlight() {
        return inFlight.get();
    }

    public long served() {
        return served.get();
    }

    /** Counts a request as in flight on this worker until the returned lease is closed (exactly once). */
    public Lease acquire() {
        inFlight.incrementAndGet();
        return new Lease(this);
    }

    /** Registration proved the worker healthy: it takes traffic from now on. */
    public synchronized void activate(List<String> models) {
        discoveredModels = List.copyOf(models);
        if (status == WorkerStatus.PENDING) {
            status = WorkerStatus.READY;
            consecutiveProbeFailures = 0;
            consecutiveProbeSuccesses = 0;
        }
    }

    /**
     * Applies one health-probe result to the state machine; returns the status before and after.
     * READY -> NOT_READY after {@code failureThreshold} failures in a row; NOT_READY -> READY after
     * {@code successThreshold} successes in a row. PENDING and DRAINING are not changed here.
     */
    public synchronized StatusChange recordProbe(boolean healthy, int failureThreshold, int successThreshold) {
        WorkerStatus before = status;
        if (healthy) {
            consecutiveProbeFailures = 0;
            consecutiveProbeSuccesses++;
            if (status == WorkerStatus.NOT_READY && consecutiveProbeSuccesses >= successThreshold) {
                status = WorkerStatus.READY;
            }
        } else {
            consecutiveProbeSuccesses = 0;
            consecutiveProbeFailures++;
            if (status == WorkerStatus.READY && consecutiveProbeFailures >= failureThreshold) {
                status = WorkerStatus.NOT_READY;
            }
        }
        return new StatusChange(before, status);
    }

    /**
     * Adopts another router's health verdict (replicated health): READY and NOT_READY follow it at
     * once, and the local streak restarts, so this router's own probes need a full threshold to
     * overturn it. A verdict that matches the current status changes nothing (the streak goes on).
     * PENDING (not yet verified here) and DRAINING are left alone.
     */
    public synchronized StatusChange adoptHealth(boolean healthy) {
        WorkerStatus before = status;
        WorkerStatus verdict = healthy ? WorkerStatus.READY : WorkerStatus.NOT_READY;
        if ((status == WorkerStatus.READY || status == WorkerStatus.NOT_READY) && status != verdict) {
            status = healthy ? WorkerStatus.READY : WorkerStatus.NOT_READY;
            consecutiveProbeFailures = 0;
            consecutiveProbeSuccesses = 0;
        }
        return new StatusChange(before, status);
    }

    /** Starts removal: no new requests from now on. */
    public synchronized void drain() {
        status = WorkerStatus.DRAINING;
    }

    @Override
    public String toString() {
        return spec.url().toString();
    }

    public record StatusChange(WorkerStatus before, WorkerStatus after) {
        public boolean changed() {
            return before != after;
        }
    }

    /** An in-flight slot on a worker; closing it twice releases once. */
    public static final class Lease implements AutoCloseable {
        private final Worker worker;
        private boolean released;

        private Lease(Worker worker) {
            this.worker = worker;
        }

        public Worker worker() {
            return worker;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                worker.inFlight.decrementAndGet();
                worker.served.incrementAndGet();
            }
        }
    }
}
