package dev.smg.router.replication;

import dev.smg.router.worker.Worker;

/**
 * Port: how loaded a worker is, as the policies that balance on load see it ({@code power_of_two},
 * {@code cache_aware}'s balance check, the manual policy's {@code min_load}). A router on its own
 * counts its own requests in flight ({@link #LOCAL}); a cluster can plug in a view summed over every
 * router and the engines' own reports, so that routers which each see a third of the traffic do not
 * pile onto the same worker. Read on the routing thread, per candidate: an implementation reads a
 * published snapshot and never blocks.
 */
@FunctionalInterface
public interface WorkerLoad {
    /**
     * The worker's load in requests: in flight, plus engine-reported pressure where known (see
     * docs/routing.md, "Load score"). A double, so engine terms (KV use) add fractions of a request.
     */
    double of(Worker worker);

    /** This router's own in-flight count. */
    WorkerLoad LOCAL = Worker::inFlight;
}
