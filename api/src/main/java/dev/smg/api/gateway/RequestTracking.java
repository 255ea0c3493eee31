package dev.smg.api.gateway;

import dev.smg.router.proxy.GatewayError;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.Set;

/**
 * The outermost filter: counts every request in flight (graceful shutdown waits on that count),
 * refuses new work once draining has passed its settle period, and records HTTP metrics when the
 * response, streams included, is finished.
 */
final class RequestTracking implements Filter {
    /** Probes keep answering while draining, so orchestrators see the 503 readiness. */
    private static final Set<String> ALWAYS_SERVED = Set.of("/health", "/liveness", "/readiness", "/ha/health");

    private final DrainState drain;
    private final HttpMetrics metrics;

    RequestTracking(DrainState drain, HttpMetrics metrics) {
        this.drain = drain;
        this.metrics = metrics;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        long start = System.nanoTime();
        drain.enter();
        try {
            if (drain.refusesNewRequests() && !ALWAYS_SERVED.contains(path)) {
                res.header(HeaderNames.CONNECTION, "close");
                ErrorReplies.send(res, GatewayError.shuttingDown());
            } else {
                chain.proceed();
            }
        } finally {
            drain.leave();
            String errorCode = res.headers().first(HeaderNames.create(ErrorReplies.ERROR_CODE_HEADER)).orElse("");
            metrics.record(req.prologue().method().text(), path, res.status().code(), errorCode,
                    (System.nanoTime() - start) / 1e9);
        }
    }
}
