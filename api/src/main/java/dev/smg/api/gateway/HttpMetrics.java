package dev.smg.api.gateway;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Set;

/** HTTP-layer metrics, named as upstream's {@code smg_http_*}. Path labels are route templates. */
final class HttpMetrics {
    /** Upstream's bucket set for duration histograms, in seconds. */
    static final double[] DURATION_BUCKETS = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30,
            45, 60, 90, 120, 180, 240, 300, 480, 900, 1200, 1800, 2700, 3600, 5400, 7200};
    private static final Set<String> FIXED_PATHS = Set.of("/v1/chat/completions", "/v1/completions", "/generate",
            "/v1/embeddings", "/v1/models", "/health", "/liveness", "/readiness", "/workers", "/ha/health",
            "/ha/status", "/ha/workers", "/ha/policies", "/ha/shutdown");

    private final Counter requests;
    private final Histogram duration;
    private final Counter responses;

    HttpMetrics(PrometheusRegistry registry, DrainState drain) {
        requests = Counter.builder().name("smg_http_requests_total").help("HTTP requests received")
                .labelNames("method", "path").register(registry);
        duration = Histogram.builder().name("smg_http_request_duration_seconds")
                .help("Time from request to the end of the response (streams included)")
                .labelNames("method", "path").classicOnly().classicUpperBounds(DURATION_BUCKETS).register(registry);
        responses = Counter.builder().name("smg_http_responses_total").help("HTTP responses sent")
                .labelNames("path", "status_code", "error_code").register(registry);
        GaugeWithCallback.builder().name("smg_http_requests_active").help("HTTP requests in flight")
                .callback(cb -> cb.call(drain.inFlight())).register(registry);
    }

    void record(String method, String path, int status, String errorCode, double seconds) {
        String label = pathLabel(path);
        requests.labelValues(method, label).inc();
        duration.labelValues(method, label).observe(seconds);
        responses.labelValues(label, String.valueOf(status), errorCode).inc();
    }

    /** Bounded label values: a known route, {@code /workers/{id}}, or {@code other}. */
    static String pathLabel(String path) {
        if (FIXED_PATHS.contains(path)) {
            return path;
        }
        if (path.startsWith("/workers/")) {
            return "/workers/{id}";
        }
        return "other";
    }
}
