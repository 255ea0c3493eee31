package dev.smg.router.worker;

import java.time.Duration;
import java.util.Objects;

/**
 * Removing a worker the way {@code DELETE /workers/{id}} does: it takes no new requests at once
 * (DRAINING), and leaves the registry when its in-flight requests have finished, or when the drain
 * limit has passed. Shared by the worker API and Kubernetes discovery, so a pod going away drains
 * exactly like a worker an operator deletes.
 */
public final class WorkerRemoval {
    private static final System.Logger LOG = System.getLogger(WorkerRemoval.class.getName());

    private final WorkerRegistry registry;
    private final Duration drainLimit;

    public WorkerRemoval(WorkerRegistry registry, Duration drainLimit) {
        this.registry = Objects.requireNonNull(registry);
        this.drainLimit = Objects.requireNonNull(drainLimit);
    }

    /** Drains {@code worker} now and removes it in the background; {@code then} runs once it is gone. */
    public void start(Worker worker, Runnable then) {
        worker.drain();
        Thread.ofVirtual().name("smg-drain-" + worker.id()).start(() -> {
            finish(worker);
            then.run();
        });
    }

    public void start(Worker worker) {
        start(worker, () -> { });
    }

    /** Waits for the draining worker's in-flight requests (bounded), then forgets it. */
    private void finish(Worker worker) {
        long deadline = System.nanoTime() + drainLimit.toNanos();
        while (worker.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50); // polling a counter with a deadline; there is no event to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        registry.remove(worker.id());
        LOG.log(System.Logger.Level.INFO, "worker {0} removed ({1} request(s) still in flight)", worker,
                worker.inFlight());
    }
}
