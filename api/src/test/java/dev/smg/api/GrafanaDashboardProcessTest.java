package dev.smg.api;

import dev.smg.api.mock.DeathMode;
import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.api.testing.Closer;
import dev.smg.api.testing.MeshRouter;
import dev.smg.api.testing.HaStatus;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.PromQlMetricNames;
import dev.smg.api.testing.PrometheusText;
import dev.smg.api.testing.QuietLogs;
import dev.smg.api.testing.ShippedQueries;
import dev.smg.api.testing.ShippedQueries.Query;
import dev.smg.api.testing.SmgProcess;
import dev.smg.api.testing.SseStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.logging.Level;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16, point 3: the Grafana dashboard and the alert rules query only what smg exports. Three
 * mesh routers (separate JVMs) in front of three mock workers get plain and streamed chat
 * completions, then the events whose metrics exist only once they happened: a stream that cannot be
 * continued, a stream migrated off a stalled worker, a first-token timeout, a request that exhausts
 * its retries with 500s, and a dead worker's refused connections (retries, transport errors, breaker
 * transitions). Every metric name of every dashboard query and alert rule must then be a series of
 * a family (HELP and TYPE) in at least one router's {@code /metrics}.
 */
class GrafanaDashboardProcessTest {
    private static final Duration FORM = Duration.ofSeconds(90);
    private static final Duration EVENT = Duration.ofSeconds(60);

    @RegisterExtension
    static final QuietLogs QUIET = new QuietLogs(Level.SEVERE, "io.helidon", "dev.smg.api.mock");

    private final Closer cleanup = new Closer();


    @AfterEach
    void tearDown() throws Exception {
        cleanup.close();
    }

    private MockWorker worker() {
        // 8 tokens over 200 ms: streams have a first token and gaps to measure.
        MockWorker w = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", 200, 8));
        cleanup.add(w::stop);
        return w;
    }

    private static String chat(boolean stream, String extra) {
        return "{\"model\":\"mock-model\",\"stream\":" + stream + ",\"max_tokens\":8" + extra
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"tell me about dashboards\"}]}";
    }

    private static PrometheusText scrape(MeshRouter node) {
        return PrometheusText.parse(Http.get(node.metricsUrl()).body());
    }

    @Test
    void everyMetricTheDashboardAndTheAlertRulesQueryIsExportedByAMeshUnderTraffic() throws Exception {
        Map<String, Set<String>> usedBy = new TreeMap<>(); // metric name -> where it is queried
        List<Query> queries = new ArrayList<>(ShippedQueries.dashboard());
        queries.addAll(ShippedQueries.rules());
        List<Query> empty = new ArrayList<>();
        for (Query q : queries) {
            Set<String> names = PromQlMetricNames.of(q.expr());
            if (names.isEmpty()) {
                empty.add(q);
            }
            names.forEach(n -> usedBy.computeIfAbsent(n, k -> new TreeSet<>()).add(q.where()));
        }
        assertEquals(List.of(), empty, "queries in which no metric name was found");

        List<MockWorker> workers = List.of(worker(), worker(), worker());
        List<MeshRouter> nodes = MeshRouter.named("node1", "node2", "node3");
        for (MeshRouter node : nodes) {
            List<String> args = new ArrayList<>(List.of("--policy", "round_robin", "--health-check-interval-secs", "600",
                    // Events come quickly and pass: one failure opens a breaker for a second; a
                    // started stream silent for a second, or one without a first token, is given up.
                    "--cb-failure-threshold", "1", "--cb-timeout-duration-secs", "1",
                    "--retry-max-retries", "3", "--retry-initial-backoff-ms", "10",
                    "--stream-stall-timeout-secs", "1", "--first-token-timeout-secs", "1", "--worker-urls"));
            workers.forEach(w -> args.add("http://127.0.0.1:" + w.port()));
            cleanup.add(SmgProcess.start(node.args(nodes, 1, args.toArray(String[]::new))));
        }
        Map<String, String> allAlive = Map.of("node1", "1", "node2", "1", "node3", "1");
        for (MeshRouter node : nodes) {
            await().atMost(FORM).ignoreExceptions().untilAsserted(() ->
                    assertEquals(allAlive, HaStatus.statuses(node.url("")), node.name() + "'s view"));
            await().atMost(FORM).ignoreExceptions().until(() ->
                    Http.get(node.url("/readiness")).body().contains("\"healthy_workers\":3"));
        }

        // Plain and streamed answers through every router: durations, TTFT, token gaps, tokens.
        for (MeshRouter node : nodes) {
            for (int i = 0; i < 2; i++) {
                assertEquals(200, Http.post(node.url("/v1/chat/completions"), chat(false, "")).statusCode());
                SseStream s = SseStream.post(node.url("/v1/chat/completions"), chat(true, ""));
                assertTrue(s.done() && s.error() == null, s.toString());
            }
        }
        MeshRouter entry = nodes.get(0);
        String completions = entry.url("/v1/chat/completions");

        // A stream asking for logprobs cannot be continued: every worker stalls after two tokens.
        until(entry, "smg_stream_breaks_total",
                () -> workers.forEach(w -> w.dieAfterTokens(2, DeathMode.STALL)),
                () -> SseStream.post(completions, chat(true, ",\"logprobs\":true")),
                () -> workers.forEach(w -> w.dieAfterTokens(0, DeathMode.NONE)));
        // A stream on a worker that stalls after two tokens is continued on another.
        MockWorker staller = workers.get(0);
        until(entry, "smg_stream_migrations_total",
                () -> staller.dieAfterTokens(2, DeathMode.STALL),
                () -> SseStream.post(completions, chat(true, "")),
                () -> staller.dieAfterTokens(0, DeathMode.NONE));
        // A worker that sends no first token within a second is abandoned for another.
        until(entry, "smg_stream_first_token_timeouts_total",
                () -> staller.dieAfterTokens(0, DeathMode.STALL),
                () -> SseStream.post(completions, chat(true, "")),
                () -> staller.dieAfterTokens(0, DeathMode.NONE));
        // Every worker answers 500: the request exhausts its retries (or finds every breaker open) and
        // the client gets a 5xx.
        until(entry, "smg_worker_retries_exhausted_total",
                () -> workers.forEach(w -> w.failNext(500, -1)),
                () -> Http.post(completions, chat(false, "")),
                () -> workers.forEach(w -> w.failNext(500, 0)));
        // A worker gone: refused connections, retried on the others.
        workers.get(2).stop();
        until(entry, "smg_worker_errors_total", () -> { }, () -> Http.post(completions, chat(false, "")), () -> { });

        List<PrometheusText> scrapes = nodes.stream().map(GrafanaDashboardProcessTest::scrape).toList();
        List<String> missing = new ArrayList<>();
        usedBy.forEach((name, where) -> {
            if (scrapes.stream().noneMatch(s -> s.exposes(name))) {
                missing.add(name + " (" + String.join("; ", where) + ")");
            }
        });
        assertEquals(List.of(), missing, "metric names queried by scripts/grafana/smg.json or "
                + "scripts/prometheus/smg-rules.yml that no router exports");
        // What the error-rate panel and SMGHighErrorRate select: 5xx answers on an inference route.
        assertTrue(scrapes.get(0).samples("smg_http_responses_total").stream().anyMatch(s ->
                s.labels().get("status_code").startsWith("5") && s.labels().get("path").equals("/v1/chat/completions")
                        && s.value() > 0), "no 5xx answer counted");
    }

    /**
     * Sends one request ({@code request}) between {@code arm} and {@code disarm} (the worker misbehaving
     * only meanwhile) until {@code metric} is in the router's scrape: which worker a request reaches is
     * the policy's choice, so a few may be needed.
     */
    private static void until(MeshRouter node, String metric, Runnable arm, Runnable request, Runnable disarm) {
        await().atMost(EVENT).pollDelay(Duration.ZERO).ignoreExceptions().until(() -> {
            arm.run();
            try {
                request.run();
            } finally {
                disarm.run();
            }
            return !scrape(node).samples(metric).isEmpty();
        });
    }
}
