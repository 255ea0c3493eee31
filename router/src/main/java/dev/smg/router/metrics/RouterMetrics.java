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

    public RouterMetrics(PrometheusRegistry registry, Supplier<List<Worker>> workers) {
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
