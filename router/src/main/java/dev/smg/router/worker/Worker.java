package dev.smg.router.worker;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One inference worker as the router sees it: its identity and configuration (immutable) plus the
 * live request count the gateway itself keeps (so load-aware policies work over plain HTTP, unlike
 * upstream's, which only counted for two policies).
 */
public final class Worker {
    private final String id;
    private final WorkerUrl url;
    private final List<String> models;
    private final Optional<String> apiKey;
    private final AtomicInteger inFlight = new AtomicInteger();

    public Worker(String id, WorkerUrl url, List<String> models, Optional<String> apiKey) {
        this.id = Objects.requireNonNull(id);
        this.url = Objects.requireNonNull(url);
        this.models = List.copyOf(models);
        this.apiKey = Objects.requireNonNull(apiKey);
    }

    public String id() {
        return id;
    }

    public WorkerUrl url() {
        return url;
    }

    /** Models this worker serves; empty means it accepts any model. */
    public List<String> models() {
        return models;
    }

    public boolean serves(String model) {
        return models.isEmpty() || model == null || models.contains(model);
    }

    /** Bearer key sent to the worker; write-only, never shown by the API or logs. */
    public Optional<String> apiKey() {
        return apiKey;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Counts a request as in flight on this worker until the returned lease is closed (exactly once). */
    public Lease acquire() {
        inFlight.incrementAndGet();
        return new Lease(this);
    }

    @Override
    public String toString() {
        return url.toString();
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
            }
        }
    }
}
