package dev.smg.api.gateway;

import dev.smg.router.worker.WorkerRegistry;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;

/** {@code /liveness}, {@code /health} (always 200 while the process runs) and {@code /readiness}. */
final class HealthRoutes {
    private HealthRoutes() {
    }

    static void register(HttpRouting.Builder routing, WorkerRegistry registry) {
        routing.get("/liveness", (req, res) -> res.send("OK"))
                .get("/health", (req, res) -> res.send("OK"))
                .get("/readiness", (req, res) -> {
                    int workers = registry.snapshot().size();
                    res.header(HeaderNames.CONTENT_TYPE, "application/json");
                    if (workers > 0) {
                        res.send("{\"status\":\"ready\",\"healthy_workers\":" + workers + ",\"total_workers\":"
                                + workers + "}");
                    } else {
                        res.status(503);
                        res.send("{\"status\":\"not ready\",\"reason\":\"insufficient healthy workers\"}");
                    }
                });
    }
}
