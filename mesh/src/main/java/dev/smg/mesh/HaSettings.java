package dev.smg.mesh;

import java.time.Duration;

/**
 * Timings and bounds of the gateway's HA layer ({@code api/.../ha}), which keeps the router's state
 * on the mesh. They live here so that one {@link MeshTuning} holds every mesh-related timing; the
 * mesh itself reads none of them (and knows nothing of routers: these are plain durations and
 * counts, named and documented by what they drive). {@link #LAN} holds the defaults.
 *
 * @param rateLimitRebalance     how often each router publishes the requests it was offered and
 *                               admitted and recomputes its share of a cluster-wide rate limit (100 ms)
 * @param treeFlush              cache-aware tree inserts are shipped to peers in batches this often (20 ms)
 * @param treeQueueCapacity      tree inserts waiting to be shipped (65,536); beyond it dropped and counted
 * @param sessionFlush           sticky-session placements are shipped to peers in batches this often (50 ms)
 * @param sessionQueueCapacity   session placements waiting to be shipped (65,536); beyond it dropped
 * @param startupLimit           longest a starting router waits to catch up with the cluster before it
 *                               reports ready with what it has (15 s)
 * @param startupAttempt         one catch-up attempt from one peer: a lost message costs this, not the
 *                               whole limit (4 s)
 * @param workerReconcileInterval how often the worker registry is compared with the replicated worker
 *                               set, repairing anything an event missed (30 s)
 * @param housekeepingInterval   how often the quorum's leader runs cluster-wide housekeeping, such as
 *                               removing the rate-limit counters of departed routers (30 s)
 * @param loadPublish            how often each router publishes its per-worker in-flight counts when they
 *                               changed, and reads its peers' (50 ms)
 * @param loadStaleAfter         a peer's load report not renewed for this long leaves the load view
 *                               (3 s; reports are renewed at least every second)
 */
public record HaSettings(Duration rateLimitRebalance, Duration treeFlush, int treeQueueCapacity,
                         Duration sessionFlush, int sessionQueueCapacity, Duration startupLimit,
                         Duration startupAttempt, Duration workerReconcileInterval, Duration housekeepingInterval,
                         Duration loadPublish, Duration loadStaleAfter) {
    public static final HaSettings LAN = new HaSettings(Duration.ofMillis(100), Duration.ofMillis(20), 65_536,
            Duration.ofMillis(50), 65_536, Duration.ofSeconds(15), Duration.ofSeconds(4), Duration.ofSeconds(30),
            Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofSeconds(3));

    public HaSettings {
        positive("rate-limit rebalance interval", rateLimitRebalance);
        positive("tree flush interval", treeFlush);
        positive("session flush interval", sessionFlush);
        positive("startup catch-up limit", startupLimit);
        positive("startup catch-up attempt", startupAttempt);
        positive("worker reconcile interval", workerReconcileInterval);
        positive("housekeeping interval", housekeepingInterval);
        positive("load publication interval", loadPublish);
        if (loadStaleAfter.compareTo(Duration.ofSeconds(2)) < 0) {
            // Reports are renewed every second at least: a shorter bound would drop live routers' counts.
            throw new IllegalArgumentException("load report staleness must be at least 2000 ms, got "
                    + loadStaleAfter.toMillis() + " ms");
        }
        if (startupAttempt.compareTo(startupLimit) > 0) {
            throw new IllegalArgumentException("startup catch-up attempt (" + startupAttempt.toMillis()
                    + " ms) must not exceed the startup limit (" + startupLimit.toMillis() + " ms)");
        }
        // Lock-free queues need room for two elements at least.
        if (treeQueueCapacity < 2 || sessionQueueCapacity < 2) {
            throw new IllegalArgumentException("tree and session queue capacities must be at least 2, got "
                    + treeQueueCapacity + " and " + sessionQueueCapacity);
        }
    }

    private static void positive(String what, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + value.toMillis() + " ms");
        }
    }
}
