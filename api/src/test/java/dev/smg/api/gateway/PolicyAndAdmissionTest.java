package dev.smg.api.gateway;

import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.TestGateway;
import dev.smg.router.worker.WorkerStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Policies and admission through the whole gateway, against mock workers on loopback. */
class PolicyAndAdmissionTest {
    private final List<MockWorker> workers = new ArrayList<>();
    private TestGateway gateway;

    @AfterEach
    void stop() {
        gateway.close();
        workers.forEach(MockWorker::stop);
    }

    private void start(int n, long genMillis, String... flags) {
        startWeighted(java.util.Collections.nCopies(n, 1), genMillis, flags);
    }

    /** One mock worker per weight, listed in {@code --worker-urls} as URL,weight=N (plain URL for 1). */
    private void startWeighted(List<Integer> weights, long genMillis, String... flags) {
        List<String> args = new ArrayList<>(List.of(flags));
        args.add("--worker-urls");
        for (int weight : weights) {
            MockWorker w = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", genMillis, 2));
            workers.add(w);
            args.add("http://127.0.0.1:" + w.port() + (weight == 1 ? "" : ",weight=" + weight));
        }
        gateway = TestGateway.start(args.toArray(String[]::new));
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.process().registry().snapshot().stream()
                .allMatch(w -> w.status() == WorkerStatus.READY));
    }

    private static String chat(String system, String question) {
        return "{\"model\":\"mock-model\",\"messages\":[{\"role\":\"system\",\"content\":\"" + system
                + "\"},{\"role\":\"user\",\"content\":\"" + question + "\"}]}";
    }

    private Object servedBy(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return Http.json(r).get("worker");
    }

    @Test
    void cacheAwareIsTheDefaultAndKeepsASharedPrefixOnOneWorker() {
        start(3, 0, "--policy", "cache_aware");
        String system = "You are a meticulous travel agent who plans long journeys across Europe by train.";
        Object owner = servedBy(Http.post(gateway.url("/v1/chat/completions"), chat(system, "Paris?")));
        // Inserts reach the tree through its single writer, a moment after routing: wait until the
        // first prompt is in the published tree (a request racing that moment may go elsewhere).
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.metrics().sum("smg_cache_tree_blocks") > 0);
        for (int i = 0; i < 8; i++) {
            assertEquals(owner, servedBy(Http.post(gateway.url("/v1/chat/completions"), chat(system, "City " + i))));
        }
        Set<Object> spread = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            spread.add(servedBy(Http.post(gateway.url("/v1/chat/completions"),
                    chat(i + " is a different system prompt", "q"))));
        }
        assertTrue(spread.size() >= 2, "unrelated prompts spread over workers: " + spread);
    }

    @Test
    void roundRobinHonoursWeightsGivenOnTheCommandLine() {
        startWeighted(List.of(3, 1), 0, "--policy", "round_robin");
        java.util.Map<Object, Integer> counts = new java.util.HashMap<>();
        for (int i = 0; i < 8; i++) {
            counts.merge(servedBy(Http.post(gateway.url("/v1/chat/completions"), chat("s", "q" + i))), 1, Integer::sum);
        }
        // Two whole cycles of smooth weighted round robin: 3 and 1, twice.
        assertEquals(java.util.Map.of("mock-" + workers.get(0).port(), 6, "mock-" + workers.get(1).port(), 2), counts);
    }

    @Test
    void consistentHashRoutesByHeaderOrBodyField() {
        start(3, 0, "--policy", "consistent_hash");
        for (int k = 0; k < 5; k++) {
            String key = "session-" + k;
            Object byHeader = servedBy(Http.post(gateway.url("/v1/chat/completions"), chat("s", "q"),
                    "X-SMG-Routing-Key", key));
            for (int i = 0; i < 3; i++) {
                assertEquals(byHeader, servedBy(Http.post(gateway.url("/v1/chat/completions"), chat("s", "q" + i),
                        "X-SMG-Routing-Key", key)));
                String withUser = "{\"model\":\"mock-model\",\"user\":\"" + key + "\",\"messages\":[]}";
                assertEquals(byHeader, servedBy(Http.post(gateway.url("/v1/chat/completions"), withUser)),
                        "the 'user' body field is the same key as the header");
            }
        }
    }

    @Test
    void perModelPolicyOverridesTheDefault() {
        start(2, 0, "--policy", "cache_aware", "--model-policy", "mock-model=round_robin");
        Object a = servedBy(Http.post(gateway.url("/v1/chat/completions"), chat("same", "same")));
        Object b = servedBy(Http.post(gateway.url("/v1/chat/completions"), chat("same", "same")));
        assertTrue(!a.equals(b), "round robin for this model despite the identical prompt");
    }

    @Test
    void aFullAdmissionQueueIs429WithRetryAfterAndAWaitTooLongIs408() {
        start(1, 3000, "--max-concurrent-requests", "1", "--queue-size", "1", "--queue-timeout-secs", "1");
        CompletableFuture<HttpResponse<String>> holder = CompletableFuture.supplyAsync(
                () -> Http.post(gateway.url("/v1/chat/completions"), chat("s", "first")));
        await().atMost(Duration.ofSeconds(10)).until(() -> workers.get(0).running() == 1);
        CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(
                () -> Http.post(gateway.url("/v1/chat/completions"), chat("s", "second")));
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.metrics().sum("smg_admission_waiting") == 1);
        HttpResponse<String> full = Http.post(gateway.url("/v1/chat/completions"), chat("s", "third"));
        assertEquals(429, full.statusCode());
        assertEquals("queue_full", Http.error(full).get("code"));
        assertTrue(full.headers().firstValue("Retry-After").isPresent());
        HttpResponse<String> late = queued.join();
        assertEquals(408, late.statusCode());
        assertEquals("queue_timeout", Http.error(late).get("code"));
        assertEquals(200, holder.join().statusCode());
        assertEquals(1, workers.get(0).served(), "the cap is hard: only the admitted request reached the worker");
        // Queue wait: the timed-out request waited the whole second; the full queue refused at once.
        var metrics = gateway.metrics();
        assertEquals(1.0, metrics.sum("smg_router_queue_wait_seconds_count", "result", "queue_timeout"));
        assertTrue(metrics.sum("smg_router_queue_wait_seconds_sum", "result", "queue_timeout") >= 1.0);
        assertEquals(1.0, metrics.sum("smg_router_queue_wait_seconds_count", "result", "queue_full"));
        assertEquals(1.0, metrics.sum("smg_router_queue_wait_seconds_count", "result", "allowed"));
    }

    @Test
    void theRateLimitIs429WithRetryAfter() {
        // One request per 2 s with a burst of 1: six quick requests cannot all pass unless they take
        // more than 10 s, so the assertion does not depend on the machine's speed.
        start(1, 0, "--rate-limit-tokens-per-second", "0.5");
        int limited = 0;
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = Http.post(gateway.url("/v1/chat/completions"), chat("s", "q" + i));
            if (r.statusCode() == 429) {
                limited++;
                assertEquals("rate_limit_exceeded", Http.error(r).get("code"));
                int retryAfter = Integer.parseInt(r.headers().firstValue("Retry-After").orElse("0"));
                assertTrue(retryAfter >= 1 && retryAfter <= 2, "Retry-After " + retryAfter);
            }
        }
        assertTrue(limited >= 3, "a burst of 1 then one per 2 s: " + limited + " of 6 limited");
    }
}
