package dev.smg.api;

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

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three {@code smg --enable-mesh} JVMs on loopback acting as one gateway: workers registered on one
 * node serve through another, a worker one node finds dead is avoided by all, a prompt goes to the
 * same worker whichever node it enters by, a node restarted empty serves with the cluster's workers
 * and trees, the cluster rate limit holds across nodes, and {@code POST /ha/shutdown} leaves the
 * cluster without taking state with it.
 */
class HaClusterProcessTest {
    private static final Duration FORM = Duration.ofSeconds(90);
    private static final Duration CONVERGE = Duration.ofSeconds(20);
    private static final String PROMPT = "You are a careful assistant. Summarise the following text about the"
            + " history of routing in distributed systems, then list three open questions about it. ".repeat(4);

    private final Closer cleanup = new Closer();


    @AfterEach
    void tearDown() throws Exception {
        cleanup.close();
    }

    private SmgProcess start(MeshRouter node, List<MeshRouter> all, int healthIntervalSecs) {
        return cleanup.add(SmgProcess.start(node.args(all, 2, "--policy", "cache_aware",
                "--health-check-interval-secs", String.valueOf(healthIntervalSecs), "--health-failure-threshold", "1",
                "--retry-max-retries", "1", "--log-level", "info")));
    }

    private MockWorker worker() {
        MockWorker w = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", 0, 1));
        cleanup.add(w::stop);
        return w;
    }

    private static Map<String, String> statuses(MeshRouter observer) {
        return HaStatus.statuses(observer.url(""));
    }

    /** url -> status ("ready", "not_ready", ...) from a node's /workers. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> workers(MeshRouter node) {
        Map<String, String> out = new java.util.HashMap<>();
        for (Object w : (List<Object>) Http.json(Http.get(node.url("/workers"))).get("workers")) {
            Map<String, Object> worker = (Map<String, Object>) w;
            out.put((String) worker.get("url"), (String) worker.get("status"));
        }
        return out;
    }

    private static HttpResponse<String> chat(MeshRouter node, String prompt) {
        return Http.post(node.url("/v1/chat/completions"), "{\"model\":\"mock-model\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + prompt + "\"}],\"max_tokens\":4}", "Content-Type", "application/json");
    }

    /** The mock worker that answered (it names itself in a header the gateway relays). */
    private static String servedBy(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        return response.headers().firstValue("X-Mock-Worker").orElseThrow();
    }

    private static double treeBlocks(MeshRouter node) {
        return PrometheusText.parse(Http.get(node.metricsUrl()).body())
                .sum("smg_cache_tree_blocks");
    }

    private static String url(MockWorker w) {
        return "http://127.0.0.1:" + w.port();
    }

    @Test
    void threeRoutersActAsOneGateway() throws Exception {
        List<MeshRouter> nodes = MeshRouter.named("node1", "node2", "node3");
        MeshRouter n1 = nodes.get(0);
        MeshRouter n2 = nodes.get(1);
        MeshRouter n3 = nodes.get(2);
        // Only node1 probes often: nodes 2 and 3 can learn that a worker died only from node1.
        start(n1, nodes, 1);
        start(n2, nodes, 600);
        SmgProcess p3 = start(n3, nodes, 600);
        Map<String, String> allAlive = Map.of("node1", "1", "node2", "1", "node3", "1");
        for (MeshRouter observer : nodes) {
            // untilAsserted: a timeout names what the node saw last, not just "not fulfilled"
            await().atMost(FORM).ignoreExceptions().untilAsserted(() -> assertEquals(allAlive, statuses(observer),
                    observer.name() + "'s view"));
        }

        // A worker registered on node1 and one on node2 serve through node3.
        MockWorker a = worker();
        MockWorker b = worker();
        assertEquals(202, Http.post(n1.url("/workers"), "{\"url\":\"" + url(a) + "\"}").statusCode());
        assertEquals(202, Http.post(n2.url("/workers"), "{\"url\":\"" + url(b) + "\"}").statusCode());
        Map<String, String> bothReady = Map.of(url(a), "ready", url(b), "ready");
        for (MeshRouter node : nodes) {
            await().atMost(CONVERGE).ignoreExceptions().until(() -> workers(node).equals(bothReady));
        }
        assertEquals(200, chat(n3, "hello").statusCode());
        Map<?, ?> stores = (Map<?, ?>) Http.json(Http.get(n3.url("/ha/status"))).get("stores");
        assertEquals(2, ((Number) stores.get("worker_count")).intValue());
        assertEquals(3, ((Number) stores.get("membership_count")).intValue());
        assertEquals(1, ((Number) stores.get("policy_count")).intValue());

        // A prompt first routed through node1 goes to the same worker through nodes 2 and 3.
        String chosen = servedBy(chat(n1, PROMPT));
        for (MeshRouter node : List.of(n2, n3)) {
            await().atMost(CONVERGE).ignoreExceptions().until(() -> treeBlocks(node) > 0);
        }
        for (MeshRouter node : List.of(n2, n3, n2, n3)) {
            assertEquals(chosen, servedBy(chat(node, PROMPT)), "routed to the other worker via " + node.name());
        }

        // node3 restarted empty serves with the cluster's workers and trees as soon as it is ready.
        p3.kill();
        p3.waitForExit(Duration.ofSeconds(30));
        start(n3, nodes, 600);
        await().atMost(FORM).ignoreExceptions().until(() -> Http.get(n3.url("/readiness")).statusCode() == 200);
        assertEquals(bothReady.keySet(), workers(n3).keySet());
        assertTrue(treeBlocks(n3) > 0, "trees restored before ready");
        assertEquals(chosen, servedBy(chat(n3, PROMPT)), "the restarted node routes the prompt to the same worker");

        // The cluster rate limit, set on node1, holds across the three nodes.
        assertEquals(200, Http.post(n1.url("/ha/rate-limit"), "{\"limit_per_second\": 20}").statusCode());
        for (MeshRouter node : nodes) {
            await().atMost(CONVERGE).ignoreExceptions().until(() ->
                    ((Number) Http.json(Http.get(node.url("/ha/rate-limit"))).get("limit_per_second")).intValue() == 20);
        }
        int admitted = 0;
        int limited = 0;
        long startNanos = System.nanoTime();
        for (int i = 0; i < 3000 && System.nanoTime() - startNanos < 4_000_000_000L; i++) {
            int status = chat(nodes.get(i % 3), "short " + i).statusCode();
            if (status == 200) {
                admitted++;
            } else if (status == 429) {
                limited++;
            }
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        assertTrue(limited > 0, "no request was limited");
        assertTrue(admitted <= 20 * seconds * 1.25 + 10, admitted + " admitted in " + seconds + " s at 20/s");
        assertTrue(admitted >= 20 * seconds * 0.5, admitted + " admitted in " + seconds + " s at 20/s");
        assertEquals(200, Http.post(n1.url("/ha/rate-limit"), "{\"limit_per_second\": 0}").statusCode());

        // A worker node1 finds dead is marked unhealthy on nodes 2 and 3 (which do not probe it).
        MockWorker dead = chosen.equals("mock-" + a.port()) ? a : b;
        MockWorker other = dead == a ? b : a;
        String deadUrl = url(dead); // a stopped server no longer knows its port
        dead.stop();
        for (MeshRouter node : nodes) {
            await().atMost(CONVERGE).ignoreExceptions().until(() -> "not_ready".equals(workers(node).get(deadUrl)));
        }
        for (MeshRouter node : nodes) {
            assertEquals("mock-" + other.port(), servedBy(chat(node, PROMPT)));
        }

        // POST /ha/shutdown: 202, node2 leaves (LEAVING, never DOWN), and its workers stay.
        HttpResponse<String> shutdown = Http.post(n2.url("/ha/shutdown"), "");
        assertEquals(202, shutdown.statusCode());
        for (MeshRouter observer : List.of(n1, n3)) {
            await().atMost(CONVERGE).ignoreExceptions().until(() -> "4".equals(statuses(observer).get("node2")));
            assertEquals(bothReady.keySet(), workers(observer).keySet());
        }
    }
}
