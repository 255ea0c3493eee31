package dev.smg.api.ha;

import dev.smg.mesh.membership.Quorum;
import dev.smg.mesh.HaSettings;
import dev.smg.mesh.Mesh;
import dev.smg.router.load.LoadView;
import dev.smg.router.policy.LocalPolicyTable;
import dev.smg.router.policy.PolicyFactory;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.PolicySpec;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerSpec;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;

/**
 * A router's part in the HA cluster: the mesh node, the replicated views of workers and policies,
 * tree replication, the cluster rate limit, the catch-up state, and how to start a graceful
 * shutdown. {@link #start} wires them to the router's own components.
 */
public record HaContext(Mesh mesh, HaLoop loop, WorkerSync workers, PolicySync policies, TreeSync trees,
                        SessionSync sessions, ClusterRateLimit rateLimit, LoadSync load, StartupSync startup,
                        Runnable shutdown) {

    /**
     * The router's own components the HA layer keeps in step with the cluster.
     *
     * @param configuredPolicies the flags' policies, published once caught up where the cluster's differ
     * @param configuredWorkers  {@code --worker-urls}, registered once caught up (the cluster's spec wins)
     * @param load               the load view the policies balance on (peers' counts and engine loads go there)
     * @param engineStaleAfter   how long an engine load measurement counts
     */
    public record Router(WorkerRegistry registry, CacheIndex cacheIndex, PolicyRegistry policies,
                         PolicyFactory factory, Map<String, PolicySpec> configuredPolicies,
                         List<WorkerSpec> configuredWorkers, LoadView load, Duration engineStaleAfter) {
    }

    /**
     * @param clusterRateLimit     the flag's cluster-wide limit (requests per second), 0 for none
     * @param clusterMaxConcurrent the cluster-wide concurrency cap, 0 for none; {@code concurrencyCap}
     *                             receives this router's share of it
     * @param breakerOpenFor       how long a breaker stays open: an older opening is not adopted
     * @param expectPeers          whether there may be a cluster to catch up from (seeds given, or
     *                             discovery not yet sure this is the first router)
     * @param treeSync             replicate cache-aware trees (off: {@code --disable-tree-sync})
     * @param loadSync             share in-flight counts and engine loads (off: {@code --disable-load-sync})
     */
    public record Options(double clusterRateLimit, int clusterMaxConcurrent, IntPredicate concurrencyCap,
                          Duration breakerOpenFor, BooleanSupplier expectPeers, boolean treeSync,
                          boolean loadSync) {
    }

    /**
     * Starts the HA layer on {@code loop} (production: {@link HaLoop#onThread}; the simulator: its own).
     *
     * @param wallClock milliseconds of wall-clock time, for verdict stamps and the router's incarnation
     */
    public static HaContext start(Mesh node, HaLoop loop, LongSupplier wallClock, Router router, Options options,
                                  Runnable shutdown) {
        WorkerRegistry registry = router.registry();
        PolicyRegistry policies = router.policies();
        PolicyFactory factory = router.factory();
        ClusterRateLimit rateLimit = new ClusterRateLimit(node.store(), node::view, node.name(),
                options.clusterRateLimit(), loop, wallClock);
        if (options.clusterMaxConcurrent() > 0) {
            rateLimit.shareConcurrency(options.clusterMaxConcurrent(), options.concurrencyCap());
        }
        WorkerSync workers = new WorkerSync(registry, node.store(), node.name(), options.breakerOpenFor(), loop,
                wallClock);
        PolicySync policySync = new PolicySync(new LocalPolicyTable(policies, factory, router.configuredPolicies()),
                router.configuredPolicies(), node.store(), node.name(), loop);
        HaSettings settings = node.tuning().ha();
        TreeSync trees = new TreeSync(router.cacheIndex(), node, node.name(), loop, options.treeSync(),
                settings.treeQueueCapacity());
        SessionSync sessions = new SessionSync(policies, factory, node, loop, settings.sessionQueueCapacity());
        StartupSync startup = new StartupSync(node, List.of(trees, sessions), options.expectPeers(),
                settings.startupLimit(), settings.startupAttempt(), loop, () -> {
            workers.registerConfigured(router.configuredWorkers());
            policySync.publishConfigured();
        });
        workers.start(settings.workerReconcileInterval());
        policySync.start();
        trees.start(settings.treeFlush());
        sessions.start(settings.sessionFlush());
        rateLimit.start(settings.rateLimitRebalance());
        LoadSync load = new LoadSync(registry, router.load(), node, loop, wallClock, settings.loadStaleAfter(),
                router.engineStaleAfter());
        if (options.loadSync()) {
            load.start(settings.loadPublish());
        }
        startup.start();
        // Cluster-wide singleton duty: only the leader of the side holding a quorum collects.
        loop.every(settings.housekeepingInterval(), () -> {
            if (Quorum.of(node.view()).isLeader(node.name())) {
                rateLimit.collectDeparted();
                load.collectDeparted();
            }
        });
        return new HaContext(node, loop, workers, policySync, trees, sessions, rateLimit, load, startup, shutdown);
    }

    /** Stops the HA loop, and with it all replication work (the mesh node is closed by its owner). */
    public void close() {
        loop.close();
    }
}
