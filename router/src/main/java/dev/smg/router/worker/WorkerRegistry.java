package dev.smg.router.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The set of known workers. Readers take {@link #snapshot()} once per request and never lock:
 * every change publishes a new immutable list with one volatile write. Changes are rare (admin
 * calls, discovery), so writers simply serialize on the registry.
 */
public final class WorkerRegistry {
    private volatile List<Worker> workers = List.of();

    public List<Worker> snapshot() {
        return workers;
    }

    /** Adds a worker for {@code url}; fails if that URL is already registered. */
    public synchronized Worker add(WorkerUrl url, List<String> models, Optional<String> apiKey) {
        if (find(url).isPresent()) {
            throw new IllegalStateException("worker " + url + " is already registered");
        }
        Worker worker = new Worker(UUID.randomUUID().toString(), url, models, apiKey);
        List<Worker> next = new ArrayList<>(workers);
        next.add(worker);
        workers = List.copyOf(next);
        return worker;
    }

    public synchronized Optional<Worker> remove(String id) {
        Optional<Worker> found = workers.stream().filter(w -> w.id().equals(id)).findFirst();
        found.ifPresent(w -> workers = workers.stream().filter(x -> x != w).toList());
        return found;
    }

    public Optional<Worker> find(WorkerUrl url) {
        return workers.stream().filter(w -> w.url().equals(url)).findFirst();
    }
}
