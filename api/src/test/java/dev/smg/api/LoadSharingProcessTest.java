package dev.smg.api;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.api.testing.Closer;
import dev.smg.api.testing.MeshRouter;
import dev.smg.api.testing.HaStatus;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.PrometheusText;
import dev.smg.api.testing.SmgProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 14 with three router JVMs on loopback: each router's {@code /ha/workers} shows the
 * worker's requests in flight through every router ({@code in_flight}, and per router), the
 * engine's own report polled by one router, and the metric; a SIGKILLed router's requests leave
 * the other routers' counts within the failure-detection time.
 */
class LoadSharingProcessTest {
    private static final Duration FORM = Duration.ofSeconds(90);
    /** Each request takes this long at the mock: longer than the whole test needs them in flight. */
    private static final long GEN_MILLIS = 40_000;

    private final Closer cleanup = new Closer();


    @AfterEach
    void tearDown() throws Exception {
        cleanup.close();
    }

    private SmgProcess start(MeshRouter node, List<MeshRouter> all, String workerUrl) {
        return cleanup.add(SmgProcess.start(node.args(all, 1, "--policy", "power_of_two",
                "--load-monitor-interval", "0.2", "--worker-urls", workerUrl, "--request-timeout-secs", "120")));
    }

    /** The single worker's row of a router's /ha/workers. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> row(MeshRouter node) {
        HttpResponse<String> response = Http.get(node.url("/ha/workers"));
        assertEquals(200, response.statusCode(), response.body());
        List<Object> rows;
        try {
            rows = JSON.std.listFrom(response.body());
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
        assertEquals(1, rows.size(), response.body());
        return (Map<String, Object>) rows.get(0);
    }

    private static CompletableFuture<HttpResponse<Void>> slowRequest(MeshRouter node) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url("/v1/completions")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"mock-model\",\"prompt\":\"hi\",\"max_tokens\":4}"))
                .build();
        return Http.CLIENT.sendAsync(request, HttpResponse.BodyHandlers.discarding());
    }

    @Test
    void everyRouterSeesTheClustersInFlightCountsAndTheEnginesLoad() throws Exception {
        MockWorker worker = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", GEN_MILLIS, 1));
        cleanup.add(worker::stop);
        String workerUrl = "http://127.0.0.1:" + worker.port();
        List<MeshRouter> nodes = MeshRouter.named("node1", "node2", "node3");
        List<SmgProcess> processes = new ArrayList<>();
        for (MeshRouter node : nodes) {
            processes.add(start(node, nodes, workerUrl));
        }
        Map<String, String> allAlive = Map.of("node1", "1", "node2", "1", "node3", "1");
        for (MeshRouter node : nodes) {
            await().atMost(FORM).ignoreExceptions().untilAsserted(() ->
                    assertEquals(allAlive, HaStatus.statuses(node.url("")), node.name() + "'s view"));
            await().atMost(FORM).ignoreExceptions().until(() -> "ready".equals(row(node).get("status")));
        }

        // Two slow requests through each router: six in flight on the one worker.
        List<CompletableFuture<HttpResponse<Void>>> requests = new ArrayList<>();
        for (MeshRouter node : nodes) {
            requests.add(slowRequest(node));
            requests.add(slowRequest(node));
        }
        cleanup.add(() -> requests.forEach(r -> r.cancel(true)));
        for (MeshRouter node : nodes) {
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
                Map<String, Object> row = row(node);
                assertEquals(6, ((Number) row.get("in_flight")).intValue(), node.name() + ": " + row);
                assertEquals(Map.of("node1", 2, "node2", 2, "node3", 2), row.get("in_flight_by_router"),
                        node.name() + ": " + row);
                // The engine's own count, polled by one router and shared with the others.
                Map<?, ?> engine = (Map<?, ?>) row.get("engine_load");
                assertEquals(6, ((Number) engine.get("running")).intValue(), node.name() + ": " + row);
            });
        }
        Object poller = ((Map<?, ?>) row(nodes.get(0)).get("engine_load")).get("reported_by");
        for (MeshRouter node : nodes) {
            assertEquals(poller, ((Map<?, ?>) row(node).get("engine_load")).get("reported_by"),
                    "one router polls the engine for all");
        }
        PrometheusText metrics = PrometheusText.parse(
                Http.get(nodes.get(0).metricsUrl()).body());
        assertEquals(6.0, metrics.sum("smg_worker_cluster_requests_active", "worker", workerUrl));
        assertEquals(2.0, metrics.sum("smg_worker_requests_active", "worker", workerUrl));

        // node3 is SIGKILLed with its two requests: they leave the others' counts within the
        // failure-detection time (a few seconds), not whenever the mock would have finished them.
        processes.get(2).kill();
        for (MeshRouter node : nodes.subList(0, 2)) {
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
                Map<String, Object> row = row(node);
                assertEquals(4, ((Number) row.get("in_flight")).intValue(), node.name() + ": " + row);
                assertEquals(Map.of("node1", 2, "node2", 2), row.get("in_flight_by_router"));
            });
        }
    }
}
