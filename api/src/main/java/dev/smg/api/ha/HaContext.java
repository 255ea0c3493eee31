package dev.smg.api.ha;

import dev.smg.mesh.membership.Quorum;
import dev.smg.mesh.HaSettings;
import dev.smg.mesh.Mesh;
import dev.smg.router.policy.PolicyFactory;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.PolicySpec;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerUrl;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;

/**
 * A router's part in the HA cluster: the mesh node, the replicated views of workers and policies,
 * tree replication, the cluster rate limit, the catch-up state, and how to start a graceful
 * shutdown. {@link #start} wires them to the router's own components.
 */
public record HaContext(Mesh mesh, HaLoop loop, WorkerSync workers, PolicySync policies, TreeSync trees,
                        SessionSync sessions, ClusterRateLimit rateLimit, StartupSync startup, Runnable shutdown) {

    /**
     * @param clusterRateLimit the flag's cluster-wide limit (requests per second), 0 for none
     * @param clusterMaxConcurrent the cluster-wide concurrency cap, 0 for none; {@code concurrencyCap}
     *                         receives this router's share of it
     * @param expectPeers      whether there may be a cluster to catch up from (seeds given, or
     *                         discovery not yet sure this is the first router)
     * @param treeSync         replicate cache-aware trees (off: {@code --disable-tree-sync})
     * @param configuredWorkers {@code --worker-urls}, registered once caught up (the cluster's spec wins)
     */
    public static HaContext start(Mesh node, WorkerRegistry registry, CacheIndex cacheIndex,
                                  PolicyRegistry policies, PolicyFactory factory,
                                  Map<String, PolicySpec> configuredPolicies, double clusterRateLimit,
                                  int clusterMaxConcurrent, IntPredicate concurrencyCap,
                                  Duration breakerOpenFor, BooleanSupplier expectPeers,
                                  boolean treeSync, List<WorkerUrl> configuredWorkers, Runnable shutdown) {
        HaLoop loop = HaLoop.onThread("smg-ha");
        ClusterRateLimit rateLimit = new ClusterRateLimit(node.store(), node::view, node.name(), clusterRateLimit,
                loop, System::currentTimeMillis);
        if (clusterMaxConcurrent > 0) {
            rateLimit.shareConcurrency(clusterMaxConcurrent, concurrencyCap);
        }
        WorkerSync workers = new WorkerSync(registry, node.store(), node.name(), breakerOpenFor, loop,
                System::currentTimeMillis);
        PolicySync policySync = new PolicySync(policies, factory, configuredPolicies, node.store(), node.name(),
                loop);
        HaSettings settings = node.tuning().ha();
        TreeSync trees = new TreeSync(cacheIndex, node, loop, treeSync, settings.treeQueueCapacity());
        SessionSync sessions = new SessionSync(policies, factory, node, loop, settings.sessionQueueCapacity());
        StartupSync startup = new StartupSync(node, List.of(trees, sessions), expectPeers, settings.startupLimit(),
                settings.startupAttempt(), loop, () -> {
            workers.registerConfigured(configuredWorkers);
            policySync.publishConfigured();
        });
        workers.start(settings.workerReconcileInterval());
        policySync.start();
        trees.start(settings.treeFlush());
        sessions.start(settings.sessionFlush());
        rateLimit.start(settings.rateLimitRebalance());
        startup.start();
        // Cluster-wide singleton duty: only the leader of the side holding a quorum collects.
        loop.every(settings.housekeepingInterval(), () -> {
            if (Quorum.of(node.view()).isLeader(node.name())) {
                rateLimit.collectDeparted();
            }
        });
        return new HaContext(node, loop, workers, policySync, trees, sessions, rateLimit, startup, shutdown);
    }

    /** Stops the HA loop, and with it all replication work (the mesh node is closed by its owner). */
    public void close() {
        loop.close();
    }
}
