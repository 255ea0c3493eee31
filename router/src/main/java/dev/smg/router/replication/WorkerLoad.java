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

    /**
     * The worker's load as this router alone sees it fresh: its own in-flight count plus what the
     * engine reports beyond the gateway's requests, without the other routers' counts (which are up to
     * a publication interval old). What a policy that takes the minimum should rank by first: routers
     * that all take the minimum of one shared, slightly old view send their next requests to the same
     * worker (measured: docs/benchmarks.md, load sharing). Without peers it is {@link #of}.
     */
    default double ownFresh(Worker worker) {
        return of(worker);
    }

    /** This router's own in-flight count. */
    WorkerLoad LOCAL = Worker::inFlight;
}
