package dev.smg.api.gateway;

import java.util.Optional;

import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerStatus;
import dev.smg.api.ha.StartupSync;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;

/**
 * {@code /liveness} and {@code /health}: 200 while the process runs. {@code /readiness}: 200 with
 * at least one healthy worker, 503 with the reason otherwise (no healthy worker, or draining).
 */
final class HealthRoutes {
    private HealthRoutes() {
    }

    static void register(HttpRouting.Builder routing, WorkerRegistry registry, DrainState drain,
                         Optional<StartupSync> startup) {
        routing.get("/liveness", (req, res) -> res.send("OK"))
                .get("/health", (req, res) -> res.send("OK"))
                .get("/readiness", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "application/json");
                    if (drain.isDraining()) {
                        res.status(503);
                        res.send("{\"status\":\"not ready\",\"reason\":\"draining\"}");
                        return;
                    }
                    if (startup.isPresent() && !startup.get().done()) {
                        res.status(503);
                        res.send("{\"status\":\"not ready\",\"reason\":\"catching up with the mesh\"}");
                        return;
                    }
                    int total = 0;
                    int healthy = 0;
                    for (Worker w : registry.snapshot()) {
                        total++;
                        if (w.status() == WorkerStatus.READY) {
                            healthy++;
                        }
                    }
                    if (healthy > 0) {
                        res.send("{\"status\":\"ready\",\"healthy_workers\":" + healthy + ",\"total_workers\":" + total
                                + "}");
                    } else {
                        res.status(503);
                        res.send("{\"status\":\"not ready\",\"reason\":\"insufficient healthy workers\"}");
                    }
                });
    }
}
