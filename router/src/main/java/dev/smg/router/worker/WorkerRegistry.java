package dev.smg.router.worker;

import dev.smg.router.breaker.BreakerSettings;
import dev.smg.router.breaker.CircuitBreaker;
import dev.smg.router.replication.WorkerReplication;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The set of known workers. Readers take {@link #snapshot()} once per request and never lock:
 * every change publishes a new immutable list with one volatile write. Changes are rare (admin
 * calls, discovery), so writers simply serialize on the registry.
 * <p>
 * Changes made here (add, remove, a probe verdict, a breaker transition) go out through the
 * {@link WorkerReplication} port; changes adopted from the cluster ({@link #adopt}, {@link #forget})
 * do not, so a replicated change never echoes back.
 */
public final class WorkerRegistry {
    /** Hears about workers' breaker transitions, e.g. to count them in metrics. */
    public interface BreakerObserver {
        void onTransition(Worker worker, CircuitBreaker.State from, CircuitBreaker.State to);
    }

    private final BreakerSettings breakerSettings;
    private final BreakerObserver breakerObserver;
    private final List<Consumer<Worker>> addListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Worker>> removeListeners = new CopyOnWriteArrayList<>();
    private volatile List<Worker> workers = List.of();
    private volatile WorkerReplication replication = WorkerReplication.NONE;

    public WorkerRegistry(BreakerSettings breakerSettings, BreakerObserver breakerObserver) {
        this.breakerSettings = breakerSettings;
        this.breakerObserver = breakerObserver;
    }

    public WorkerRegistry() {
        this(BreakerSettings.DEFAULTS, (w, from, to) -> { });
    }

    public List<Worker> snapshot() {
        return workers;
    }

    /** Called with every newly added worker, e.g. to probe it at once. */
    public void onAdd(Consumer<Worker> listener) {
        addListeners.add(listener);
    }

    /** Called with every removed worker, e.g. so policies forget it. */
    public void onRemove(Consumer<Worker> listener) {
        removeListeners.add(listener);
    }

    /** Where this router's own worker changes go from now on (set once, when the HA layer starts). */
    public void replicateTo(WorkerReplication port) {
        this.replication = port;
    }

    /** The health checker reports a status change its probes caused. */
    public void healthChanged(Worker worker, Worker.StatusChange change) {
        if (change.after() == WorkerStatus.READY || change.after() == WorkerStatus.NOT_READY) {
            replication.healthVerdict(worker.url(), change.after() == WorkerStatus.READY);
        }
    }

    /**
     * A worker's id, derived from its URL: every router of a cluster gives the same worker the same
     * id without coordinating, so {@code /workers/{id}} means one worker on every node.
     */
    public static String idFor(WorkerUrl url) {
        return UUID.nameUUIDFromBytes(url.toString().getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * Adds a worker in PENDING state.
     *
     * @throws IllegalStateException if a worker with the same URL is registered
     */
    public Worker add(WorkerSpec spec) {
        Worker worker = adopt(spec);
        replication.registered(spec);
        return worker;
    }

    /**
     * Adds a worker the cluster registered elsewhere (not reported to the replication port).
     *
     * @throws IllegalStateException if a worker with the same URL is registered
     */
    public Worker adopt(WorkerSpec spec) {
        Worker worker;
        synchronized (this) {
            if (find(spec.url()).isPresent()) {
                throw new IllegalStateException("a worker is already registered at " + spec.url());
            }
            Worker[] self = new Worker[1];
            worker = new Worker(idFor(spec.url()), spec, breakerSettings, (from, to) -> {
                breakerObserver.onTransition(self[0], from, to);
                if (to != CircuitBreaker.State.HALF_OPEN) {
                    replication.breakerVerdict(spec.url(), to == CircuitBreaker.State.OPEN);
                }
            });
            self[0] = worker;
            List<Worker> next = new ArrayList<>(workers);
            next.add(worker);
            workers = List.copyOf(next);
        }
        for (Consumer<Worker> listener : addListeners) {
            listener.accept(worker);
        }
        return worker;
    }

    public Worker add(WorkerUrl url, List<String> models, Optional<String> apiKey) {
        return add(new WorkerSpec(url, models, apiKey, Map.of()));
    }

    public Optional<Worker> remove(String id) {
        Optional<Worker> found = forget(id);
        found.ifPresent(w -> replication.deregistered(w.url()));
        return found;
    }

    /** Removes a worker the cluster removed elsewhere (not reported to the replication port). */
    public Optional<Worker> forget(String id) {
        Optional<Worker> found;
        synchronized (this) {
            found = get(id);
            found.ifPresent(w -> workers = workers.stream().filter(x -> x != w).toList());
        }
        found.ifPresent(w -> removeListeners.forEach(listener -> listener.accept(w)));
        return found;
    }

    public Optional<Worker> get(String id) {
        for (Worker w : workers) {
            if (w.id().equals(id)) {
                return Optional.of(w);
            }
        }
        return Optional.empty();
    }

    public Optional<Worker> find(WorkerUrl url) {
        for (Worker w : workers) {
            if (w.url().equals(url)) {
                return Optional.of(w);
            }
        }
        return Optional.empty();
    }
}
