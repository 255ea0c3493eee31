package dev.smg.api.discovery;

import dev.smg.api.config.WorkerDiscoveryConfig;
import dev.smg.router.worker.WorkerRegistry;
import io.fabric8.kubernetes.client.Config;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Whether this router watches the worker pods: one watcher per cluster. Without the mesh the single
 * router always does. In a mesh only the quorum's leader does (the smallest ALIVE name on the side
 * holding a quorum, as for the other singleton duties), once it has caught up with the cluster;
 * the workers it registers reach every router through the registry's replication, and the other
 * routers never call the API server. Leadership is checked every second: a router that becomes
 * leader lists and then watches, and since ownership is in the replicated specs (see
 * {@link WorkerReconciler}) its first reconcile changes only what differs; one that stops being
 * leader closes its watch.
 */
public final class WorkerDiscoveryDuty implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerDiscoveryDuty.class.getName());
    private static final Duration CHECK_EVERY = Duration.ofSeconds(1);

    private final Config kubernetes;
    private final WorkerDiscoveryConfig config;
    private final WorkerRegistry registry;
    private final Duration drainLimit;
    private final BooleanSupplier mayWatch;
    private final ApiErrorCounter errors = new ApiErrorCounter();
    private final ScheduledExecutorService checks = Executors.newSingleThreadScheduledExecutor(
            Thread.ofVirtual().name("smg-worker-discovery").factory());
    private Optional<WorkerDiscovery> running = Optional.empty();
    private boolean closed;

    private WorkerDiscoveryDuty(Config kubernetes, WorkerDiscoveryConfig config, WorkerRegistry registry,
                                Duration drainLimit, BooleanSupplier mayWatch) {
        this.kubernetes = kubernetes;
        this.config = config;
        this.registry = registry;
        this.drainLimit = drainLimit;
        this.mayWatch = mayWatch;
    }

    /**
     * Starts the duty: watches at once if {@code mayWatch} says so, and re-checks every second.
     *
     * @param mayWatch true while this router should be the watcher (always, without the mesh)
     */
    public static WorkerDiscoveryDuty start(Config kubernetes, WorkerDiscoveryConfig config, WorkerRegistry registry,
                                            Duration drainLimit, BooleanSupplier mayWatch, PrometheusRegistry metrics) {
        WorkerDiscoveryDuty duty = new WorkerDiscoveryDuty(kubernetes, config, registry, drainLimit, mayWatch);
        CounterWithCallback.builder()
                .name("smg_discovery_errors_total")
                .help("Failed Kubernetes API calls of worker discovery (error answers, refused connections); each is"
                        + " retried with backoff and the workers are kept meanwhile")
                .labelNames("source")
                .callback(cb -> cb.call(duty.errors(), "kubernetes"))
                .register(metrics);
        GaugeWithCallback.builder()
                .name("smg_discovery_workers")
                .help("Workers registered by Kubernetes discovery (Ready pods matching --selector), cluster-wide")
                .labelNames("source")
                .callback(cb -> cb.call(WorkerReconciler.owned(registry).size(), "kubernetes"))
                .register(metrics);
        GaugeWithCallback.builder()
                .name("smg_discovery_watching")
                .help("1 while this router's watch on worker pods is open; 0 on the other routers of a mesh, and"
                        + " while listing, reconnecting or refused (RBAC)")
                .labelNames("source")
                .callback(cb -> cb.call(duty.isWatching() ? 1 : 0, "kubernetes"))
                .register(metrics);
        duty.check();
        duty.checks.scheduleWithFixedDelay(duty::check, CHECK_EVERY.toMillis(), CHECK_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        return duty;
    }

    /** Starts or stops the watch to match {@code mayWatch}. */
    synchronized void check() {
        if (closed) {
            return;
        }
        boolean should;
        try {
            should = mayWatch.getAsBoolean();
        } catch (RuntimeException e) {
            should = false;
        }
        if (should && running.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "worker discovery: this router is the watcher now");
            running = Optional.of(WorkerDiscovery.start(kubernetes, config, registry, drainLimit, errors));
        } else if (!should && running.isPresent()) {
            LOG.log(System.Logger.Level.INFO, "worker discovery: no longer the watcher (leadership moved)");
            running.get().close();
            running = Optional.empty();
        }
    }

    /** The watch this router runs now, if it is the watcher. */
    public synchronized Optional<WorkerDiscovery> current() {
        return running;
    }

    public synchronized boolean isWatching() {
        return running.map(d -> d.watch().isWatching()).orElse(false);
    }

    /** Failed API calls so far (the {@code smg_discovery_errors_total} counter). */
    public long errors() {
        return errors.count();
    }

    @Override
    public void close() {
        checks.shutdownNow();
        synchronized (this) {
            closed = true;
            running.ifPresent(WorkerDiscovery::close);
            running = Optional.empty();
        }
    }
}
