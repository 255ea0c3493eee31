package dev.smg.router.metrics;

import dev.smg.router.breaker.CircuitBreaker;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerStatus;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The router's Prometheus metrics, named as upstream's {@code smg_*} where upstream has one.
 * Per-worker gauges are read from the live registry at scrape time, so a removed worker's series
 * disappear with it instead of going stale.
 */
public final class RouterMetrics {
    private final Counter breakerTransitions;
    private final Counter healthChecks;
    private final Counter retries;
    private final Counter retriesExhausted;
    private final Counter upstreamResponses;
    private final Counter workerErrors;
    private final Counter admissions;
    private final Counter streamMigrations;
    private final Counter streamBreaks;
    private final Counter firstTokenTimeouts;
    private final io.prometheus.metrics.core.metrics.Histogram migrationStall;
    private final io.prometheus.metrics.core.metrics.Histogram queueWait;
    private final PrometheusRegistry registry;

    public RouterMetrics(PrometheusRegistry registry, Supplier<List<Worker>> workers) {
        this.registry = registry;
        GaugeWithCallback.builder().name("smg_worker_requests_active")
                .help("Requests in flight on each worker, as counted by this gateway")
                .labelNames("worker")
                .callback(cb -> workers.get().forEach(w -> cb.call(w.inFlight(), w.url().toString())))
                .register(registry);
        GaugeWithCallback.builder().name("smg_worker_health")
                .help("1 when the worker is READY (takes traffic), else 0")
                .labelNames("worker", "status")
                .callback(cb -> workers.get().forEach(w -> cb.call(w.status() == WorkerStatus.READY ? 1 : 0,
                        w.url().toString(), w.status().wireName())))
                .register(registry);
        GaugeWithCallback.builder().name("smg_worker_cb_state")
                .help("Circuit breaker state per worker: 0 closed, 1 open, 2 half-open")
                .labelNames("worker")
                .callback(cb -> workers.get().forEach(w -> cb.call(w.breaker().state().code(), w.url().toString())))
                .register(registry);
        GaugeWithCallback.builder().name("smg_worker_pool_size")
                .help("Registered workers")
                .callback(cb -> cb.call(workers.get().size()))
                .register(registry);
        breakerTransitions = Counter.builder().name("smg_worker_cb_transitions_total")
                .help("Circuit breaker state changes")
                .labelNames("worker", "from", "to").register(registry);
        healthChecks = Counter.builder().name("smg_worker_health_checks_total")
                .help("Health probes by result")
                .labelNames("result").register(registry);
        retries = Counter.builder().name("smg_worker_retries_total")
                .help("Attempts after the first, by endpoint")
                .labelNames("endpoint").register(registry);
        retriesExhausted = Counter.builder().name("smg_worker_retries_exhausted_total")
                .help("Requests that used every attempt without success")
                .labelNames("endpoint").register(registry);
        upstreamResponses = Counter.builder().name("smg_router_upstream_responses_total")
                .help("Worker answers per attempt, by status (error_code names transport failures)")
                .labelNames("status_code", "error_code").register(registry);
        workerErrors = Counter.builder().name("smg_worker_errors_total")
                .help("Transport failures talking to workers")
                .labelNames("error_type").register(registry);
        admissions = Counter.builder().name("smg_http_rate_limit_total")
                .help("Admission decisions: allowed, rate_limit_exceeded, queue_full, queue_timeout")
                .labelNames("result").register(registry);
        streamMigrations = Counter.builder().name("smg_stream_migrations_total")
                .help("Streams continued on another worker after theirs failed, by endpoint and reason (broken, stalled, first_token_timeout)")
                .labelNames("endpoint", "reason").register(registry);
        streamBreaks = Counter.builder().name("smg_stream_breaks_total")
                .help("Started streams that could not be continued and ended with an error event, by endpoint and reason")
                .labelNames("endpoint", "reason").register(registry);
        firstTokenTimeouts = Counter.builder().name("smg_stream_first_token_timeouts_total")
                .help("Stream legs whose worker sent no content within the first-token deadline")
                .labelNames("endpoint").register(registry);
        queueWait = io.prometheus.metrics.core.metrics.Histogram.builder().name("smg_router_queue_wait_seconds")
                .help("Time a request spent in admission (waiting for a slot under --max-concurrent-requests), by result")
                .labelNames("endpoint", "result")
                .classicOnly().classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                        120, 300)
                .register(registry);
        migrationStall = io.prometheus.metrics.core.metrics.Histogram.builder().name("smg_stream_migration_stall_seconds")
                .help("What a client waited at a migration: from the last event it got from the failed worker to the first from the next")
                .labelNames("endpoint")
                .classicOnly().classicUpperBounds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
                .register(registry);
    }

    /** Exposes the cache-aware index's size and its writer's counters. */
    public void cacheIndex(dev.smg.router.tree.CacheIndex index) {
        GaugeWithCallback.builder().name("smg_cache_tree_blocks")
                .help("Blocks stored in the cache-aware trees, all models").callback(cb -> cb.call(index.blocks()))
                .register(registry);
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("smg_cache_tree_inserts_dropped_total")
                .help("Cache-aware inserts dropped because the writer's queue was full")
                .callback(cb -> cb.call(index.dropped())).register(registry);
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("smg_cache_tree_evicted_blocks_total")
                .help("Blocks evicted (LRU) to keep trees under --max-tree-size")
                .callback(cb -> cb.call(index.evicted())).register(registry);
    }

    /**
     * Exposes the load view (one series per registered worker: the label set is bounded by the
     * registry) and the engine-load polls by outcome.
     */
    public void load(dev.smg.router.load.LoadView view, dev.smg.router.load.LoadMonitor monitor,
                     Supplier<List<Worker>> workers) {
        GaugeWithCallback.builder().name("smg_worker_cluster_requests_active")
                .help("Requests in flight on each worker through every router of the cluster this router hears from")
                .labelNames("worker")
                .callback(cb -> workers.get().forEach(w -> cb.call(view.clusterInFlight(w), w.urlText())))
                .register(registry);
        GaugeWithCallback.builder().name("smg_worker_load_score")
                .help("The load score power_of_two and cache_aware compare (docs/routing.md)")
                .labelNames("worker")
                .callback(cb -> workers.get().forEach(w -> cb.call(view.of(w), w.urlText())))
                .register(registry);
        GaugeWithCallback.builder().name("smg_worker_engine_requests")
                .help("Requests the worker's engine last reported, by state (running, waiting); absent when stale")
                .labelNames("worker", "state")
                .callback(cb -> workers.get().forEach(w -> view.engine(w.urlText()).ifPresent(s -> {
                    cb.call(s.load().running(), w.urlText(), "running");
                    cb.call(s.load().waiting(), w.urlText(), "waiting");
                })))
                .register(registry);
        GaugeWithCallback.builder().name("smg_worker_engine_kv_cache_usage_ratio")
                .help("KV-cache share in use the worker's engine last reported, 0..1; absent when stale or unknown")
                .labelNames("worker")
                .callback(cb -> workers.get().forEach(w -> view.engine(w.urlText())
                        .filter(s -> s.load().kvKnown()).ifPresent(s -> cb.call(s.load().kvUsage(), w.urlText()))))
                .register(registry);
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("smg_engine_load_polls_total")
                .help("Polls of engines' load endpoints by this router, by result (ok, timeout, error, malformed, unsupported)")
                .labelNames("result")
                .callback(cb -> monitor.outcomes().forEach((result, n) -> cb.call(n, result)))
                .register(registry);
    }

    /** Exposes the admission queue. */
    public void admission(dev.smg.router.admission.AdmissionControl control) {
        GaugeWithCallback.builder().name("smg_admission_waiting")
                .help("Requests waiting for a concurrency slot").callback(cb -> cb.call(control.waiting()))
                .register(registry);
        GaugeWithCallback.builder().name("smg_admission_inside")
                .help("Requests holding a concurrency slot").callback(cb -> cb.call(control.inside()))
                .register(registry);
    }

    /** How long admission took for a request of {@code endpoint}; {@code result} as in {@link #admission(String)}. */
    public void queueWait(String endpoint, String result, double seconds) {
        queueWait.labelValues(endpoint, result).observe(seconds);
    }

    public void admission(String result) {
        admissions.labelValues(result).inc();
    }

    public void breakerTransition(Worker worker, CircuitBreaker.State from, CircuitBreaker.State to) {
        breakerTransitions.labelValues(worker.url().toString(), name(from), name(to)).inc();
    }

    public void healthCheck(boolean success) {
        healthChecks.labelValues(success ? "success" : "failure").inc();
    }

    public void retry(String endpoint) {
        retries.labelValues(endpoint).inc();
    }

    public void retriesExhausted(String endpoint) {
        retriesExhausted.labelValues(endpoint).inc();
    }

    /** A stream continued elsewhere; {@code reason}: broken, stalled or first_token_timeout. */
    public void streamMigration(String endpoint, String reason) {
        streamMigrations.labelValues(endpoint, reason).inc();
    }

    public void streamBreak(String endpoint, String reason) {
        streamBreaks.labelValues(endpoint, reason).inc();
    }

    public void firstTokenTimeout(String endpoint) {
        firstTokenTimeouts.labelValues(endpoint).inc();
    }

    public void migrationStall(String endpoint, double seconds) {
        migrationStall.labelValues(endpoint).observe(seconds);
    }

    public void upstreamResponse(int status) {
        upstreamResponses.labelValues(String.valueOf(status), "").inc();
    }

    public void upstreamFailure(String kind) {
        upstreamResponses.labelValues("", kind).inc();
        workerErrors.labelValues(kind).inc();
    }

    private static String name(CircuitBreaker.State state) {
        return state.name().toLowerCase(Locale.ROOT);
    }
}
