package dev.smg.api.gateway;

import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.TestGateway;
import dev.smg.router.breaker.CircuitBreaker;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Retries, circuit breakers, health checks and disconnects against real mock workers on loopback. */
class ReliabilityTest {
    private static final String CHAT = "{\"model\":\"mock-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String STREAM = "{\"model\":\"mock-model\",\"stream\":true,\"messages\":[]}";
    private final List<MockWorker> workers = new ArrayList<>();
    private TestGateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        workers.forEach(MockWorker::stop);
    }

    private MockWorker worker(long genMillis, int chunks) {
        MockWorker w = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", genMillis, chunks));
        workers.add(w);
        return w;
    }

    private static String url(MockWorker w) {
        return "http://127.0.0.1:" + w.port();
    }

    private TestGateway gateway(String... flags) {
        gateway = TestGateway.start(flags);
        await().atMost(Duration.ofSeconds(30)).until(() -> !gateway.process().registry().snapshot().isEmpty()
                && gateway.process().registry().snapshot().stream().allMatch(w -> w.status() == WorkerStatus.READY));
        return gateway;
    }

    private Worker registered(MockWorker w) {
        return gateway.process().registry().snapshot().stream()
                .filter(x -> x.url().port() == w.port()).findFirst().orElseThrow();
    }

    @Test
    void aFailedAttemptIsRetriedOnTheOtherWorker() {
        MockWorker broken = worker(0, 2);
        MockWorker good = worker(0, 2);
        gateway("--worker-urls", url(broken), url(good), "--cb-failure-threshold", "1000",
                "--retry-initial-backoff-ms", "1", "--retry-max-backoff-ms", "5");
        broken.failNext(503, -1);
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = Http.post(gateway.url("/v1/chat/completions"), CHAT);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("mock-" + good.port(), Http.json(r).get("worker"));
        }
        assertTrue(broken.served() >= 1, "round robin must have tried the broken worker too");
        assertTrue(gateway.metrics().sum("smg_worker_retries_total") >= 1);
    }

    @Test
    void whenEveryAttemptFailsTheLastAnswerIsReturnedAndExhaustionCounted() {
        MockWorker broken = worker(0, 2);
        gateway("--worker-urls", url(broken), "--retry-max-retries", "3", "--retry-initial-backoff-ms", "1",
                "--retry-max-backoff-ms", "2", "--cb-failure-threshold", "1000");
        broken.failNext(500, -1);
        HttpResponse<String> r = Http.post(gateway.url("/v1/chat/completions"), CHAT);
        assertEquals(500, r.statusCode());
        assertEquals(3, broken.served());
        assertEquals(1.0, gateway.metrics().sum("smg_worker_retries_exhausted_total", "endpoint", "chat"));
    }

    @Test
    void breakerOpensThenLetsOneTrialThroughThenCloses() throws Exception {
        MockWorker w = worker(1500, 3);
        gateway("--worker-urls", url(w), "--disable-retries", "--cb-failure-threshold", "2",
                "--cb-success-threshold", "2", "--cb-timeout-duration-secs", "1");
        w.failNext(503, 2);
        assertEquals(503, Http.post(gateway.url("/v1/chat/completions"), STREAM).statusCode());
        assertEquals(503, Http.post(gateway.url("/v1/chat/completions"), STREAM).statusCode());
        Worker worker = registered(w);
        assertEquals(CircuitBreaker.State.OPEN, worker.breaker().state());

        // Open: the gateway answers itself, the worker sees nothing.
        long before = w.served();
        HttpResponse<String> refused = Http.post(gateway.url("/v1/chat/completions"), STREAM);
        assertEquals(503, refused.statusCode());
        assertEquals("no_available_workers", Http.error(refused).get("code"));
        assertEquals(before, w.served());

        await().atMost(Duration.ofSeconds(10)).until(() -> worker.breaker().state() == CircuitBreaker.State.HALF_OPEN);
        // One trial goes through (a slow stream that holds the trial slot) ...
        CompletableFuture<HttpResponse<String>> trial = CompletableFuture.supplyAsync(
                () -> Http.post(gateway.url("/v1/chat/completions"), STREAM));
        await().atMost(Duration.ofSeconds(10)).until(() -> w.running() == 1);
        // ... and while it is in flight, nothing else does.
        HttpResponse<String> second = Http.post(gateway.url("/v1/chat/completions"), STREAM);
        assertEquals(503, second.statusCode(), second.body());
        assertEquals(1, w.running());
        assertEquals(200, trial.get().statusCode());
        assertEquals(CircuitBreaker.State.HALF_OPEN, worker.breaker().state());
        assertEquals(200, Http.post(gateway.url("/v1/chat/completions"), CHAT).statusCode());
        assertEquals(CircuitBreaker.State.CLOSED, worker.breaker().state());
        assertEquals(1.0, gateway.metrics().sum("smg_worker_cb_transitions_total", "from", "half_open", "to", "closed"));
    }

    @Test
    void anUnhealthyWorkerLeavesRotationAndReturnsWhenItRecovers() {
        MockWorker sick = worker(0, 2);
        MockWorker fine = worker(0, 2);
        gateway("--worker-urls", url(sick), url(fine), "--health-check-interval-secs", "1",
                "--health-failure-threshold", "1", "--health-success-threshold", "1");
        Worker sickWorker = registered(sick);
        sick.setHealthy(false);
        await().atMost(Duration.ofSeconds(15)).until(() -> sickWorker.status() == WorkerStatus.NOT_READY);
        long before = sick.served();
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = Http.post(gateway.url("/v1/chat/completions"), CHAT);
            assertEquals("mock-" + fine.port(), Http.json(r).get("worker"));
        }
        assertEquals(before, sick.served());
        sick.setHealthy(true);
        await().atMost(Duration.ofSeconds(15)).until(() -> sickWorker.status() == WorkerStatus.READY);
        List<Object> servedBy = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            servedBy.add(Http.json(Http.post(gateway.url("/v1/chat/completions"), CHAT)).get("worker"));
        }
        assertTrue(servedBy.contains("mock-" + sick.port()), servedBy.toString());
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsTheWorkerRequestAndReleasesItsCount() throws Exception {
        MockWorker w = worker(20_000, 40); // a 20 s stream, an event every 0.5 s
        gateway("--worker-urls", url(w));
        Worker worker = registered(w);
        HttpResponse<Stream<String>> response = Http.CLIENT.send(HttpRequest.newBuilder(
                        URI.create(gateway.url("/v1/chat/completions")))
                .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build(), HttpResponse.BodyHandlers.ofLines());
        Stream<String> lines = response.body();
        Iterator<String> it = lines.iterator();
        assertTrue(it.next().startsWith("data: "));
        assertEquals(1, worker.inFlight());
        lines.close(); // the client goes away
        await().atMost(Duration.ofSeconds(8)).until(() -> worker.inFlight() == 0 && w.running() == 0);
        assertEquals(0, gateway.process().drainState().inFlight());
    }
}
