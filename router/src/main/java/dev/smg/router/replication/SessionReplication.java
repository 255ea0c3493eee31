package dev.smg.router.replication;

import dev.smg.router.policy.ManualPolicy;

/**
 * Port: sticky-session placements of the manual policy (a routing key placed on a worker, or
 * re-announced), on their way out to whatever replicates them, so a user pinned through one router
 * stays on that worker through every router. Called on the routing thread: an implementation only
 * queues and never blocks. Placements adopted from peers ({@code ManualPolicy.adopt}) are not
 * reported back.
 */
public interface SessionReplication {
    void placed(ManualPolicy policy, String routingKey, String workerUrl, long placedMillis);

    /** Nothing to replicate to: a router on its own. */
    SessionReplication NONE = (policy, key, url, placed) -> { };
}
