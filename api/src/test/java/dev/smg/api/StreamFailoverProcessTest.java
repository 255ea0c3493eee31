package dev.smg.api;

import dev.smg.api.testing.Closer;
import dev.smg.api.testing.FreePorts;
import dev.smg.api.testing.MeshRouter;
import dev.smg.api.testing.HaStatus;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.PrometheusText;
import dev.smg.api.testing.SmgProcess;
import dev.smg.api.testing.SseStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15's acceptance test, all separate JVMs: three mesh routers, three mock worker processes,
 * 24 concurrent streamed chat completions sent round the routers, and one worker SIGKILLed while
 * it is streaming. Every client's text must be byte-identical to the uninterrupted answer.
 */
class StreamFailoverProcessTest {
    private static final Duration FORM = Duration.ofSeconds(90);
    private static final int STREAMS = 24;
    private static final int MAX_TOKENS = 50;

    private final Closer cleanup = new Closer();


    @AfterEach
    void tearDown() throws Exception {
        cleanup.close();
    }

    private SmgProcess process(String... args) {
        SmgProcess p = SmgProcess.start(args);
        cleanup.add(p);
        return p;
    }

    private static String chat(int i) {
        return "{\"model\":\"mock-model\",\"stream\":true,\"max_tokens\":" + MAX_TOKENS
                + ",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":\"stream number " + i + " please\"}]}";
    }

    @Test
    void aWorkerKilledMidStreamUnder24StreamsThroughThreeRoutersLosesNoToken() throws Exception {
        List<Integer> workerPorts = List.of(FreePorts.one(), FreePorts.one(), FreePorts.one());
        List<SmgProcess> workers = new ArrayList<>();
        for (int port : workerPorts) {
            // 60 tokens over 6 s: streams are mid-answer for seconds.
            workers.add(process("mock-worker", "--port", String.valueOf(port), "--gen-ms", "6000",
                    "--stream-chunks", "60"));
        }
        List<MeshRouter> nodes = MeshRouter.named("node1", "node2", "node3");
        for (MeshRouter node : nodes) {
            List<String> args = new ArrayList<>(List.of("--policy", "round_robin", "--retry-initial-backoff-ms", "10",
                    "--stream-stall-timeout-secs", "5", "--worker-urls"));
            workerPorts.forEach(p -> args.add("http://127.0.0.1:" + p));
            process(node.args(nodes, 1, args.toArray(String[]::new)));
        }
        Map<String, String> allAlive = Map.of("node1", "1", "node2", "1", "node3", "1");
        for (MeshRouter node : nodes) {
            await().atMost(FORM).ignoreExceptions().untilAsserted(() ->
                    assertEquals(allAlive, HaStatus.statuses(node.url("")), node.name() + "'s view"));
            await().atMost(FORM).ignoreExceptions().until(() ->
                    Http.get(node.url("/readiness")).body().contains("\"healthy_workers\":3"));
        }
        // The uninterrupted answers, from a worker that will survive.
        String survivor = "http://127.0.0.1:" + workerPorts.get(2) + "/v1/chat/completions";
        List<SseStream> expected;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<SseStream>> direct = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                int k = i;
                direct.add(CompletableFuture.supplyAsync(() -> SseStream.post(survivor, chat(k)), pool));
            }
            expected = direct.stream().map(CompletableFuture::join).toList();
        }
        for (SseStream e : expected) {
            assertTrue(e.done() && e.text().split(" ").length == MAX_TOKENS, e.toString());
        }

        List<SseStream> got;
        String victim = "http://127.0.0.1:" + workerPorts.get(0);
        AtomicInteger lines = new AtomicInteger();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<SseStream>> streams = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                int k = i;
                MeshRouter node = nodes.get(i % nodes.size());
                streams.add(CompletableFuture.supplyAsync(
                        () -> SseStream.post(node.url("/v1/chat/completions"), chat(k), lines), pool));
            }
            // Kill the first worker in the middle of its streams: it holds several, and the clients
            // have had about 10 events each (an event is two lines: data and the blank one).
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    runningOf(victim) >= 4 && lines.get() >= STREAMS * 2 * 10);
            workers.get(0).kill();
            got = streams.stream().map(CompletableFuture::join).toList();
        }
        for (int i = 0; i < STREAMS; i++) {
            SseStream g = got.get(i);
            String what = "stream " + i;
            assertEquals(200, g.status(), what);
            assertFalse(g.broken(), what + " was cut");
            assertNull(g.error(), what + ": " + g.error());
            assertTrue(g.done(), what + ": no [DONE]");
            assertEquals(expected.get(i).text(), g.text(), what);
            assertEquals(1, g.ids().size(), what + ": ids " + g.ids());
            assertEquals(MAX_TOKENS, ((Number) g.usage().get("completion_tokens")).intValue(), what);
        }
        double migrations = 0;
        for (MeshRouter node : nodes) {
            migrations += PrometheusText.parse(Http.get(node.metricsUrl()).body())
                    .sum("smg_stream_migrations_total");
        }
        assertTrue(migrations >= 4, "the killed worker's streams were continued: " + migrations);
    }

    private static int runningOf(String worker) {
        Object loads = Http.json(Http.get(worker + "/v1/loads")).get("loads");
        return ((Number) ((Map<?, ?>) ((List<?>) loads).get(0)).get("num_running_reqs")).intValue();
    }
}
