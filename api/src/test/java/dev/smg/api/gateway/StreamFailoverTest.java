package dev.smg.api.gateway;

import dev.smg.api.mock.DeathMode;
import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.api.testing.PrometheusText;
import dev.smg.api.testing.QuietLogs;
import dev.smg.api.testing.SseStream;
import dev.smg.api.testing.TestGateway;
import dev.smg.router.worker.WorkerStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15 in process: mock workers told to crash or stall mid-stream behind one gateway. Each
 * client's text must be byte-identical to the uninterrupted answer (the mock generates
 * deterministically and honours the continuation forms), with one id, [DONE] and whole usage.
 */
class StreamFailoverTest {
    /** Workers crash and stall here on purpose: the gateway's warnings about it are expected. */
    @RegisterExtension
    static final QuietLogs QUIET = new QuietLogs(Level.SEVERE, "dev.smg", "io.helidon");
    /** 40 tokens over 2 s per answer: a stream is long enough to be cut in the middle. */
    private static final MockBehaviour BEHAVIOUR = new MockBehaviour("mock-model", 2000, 40);
    private static final int MAX_TOKENS = 30;

    private final List<MockWorker> workers = new ArrayList<>();
    private TestGateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        workers.forEach(MockWorker::stop);
    }

    private void start(int count, String... flags) {
        List<String> args = new ArrayList<>(List.of("--retry-initial-backoff-ms", "10", "--cb-failure-threshold", "1000",
                "--worker-urls"));
        for (int i = 0; i < count; i++) {
            MockWorker w = MockWorker.start("127.0.0.1", 0, BEHAVIOUR);
            workers.add(w);
            args.add("http://127.0.0.1:" + w.port());
        }
        args.addAll(List.of(flags));
        gateway = TestGateway.start(args.toArray(String[]::new));
        await().atMost(Duration.ofSeconds(30)).until(() ->
                gateway.process().registry().snapshot().stream().allMatch(w -> w.status() == WorkerStatus.READY));
    }

    private static String chat(int i, String extra) {
        return "{\"model\":\"mock-model\",\"stream\":true,\"max_tokens\":" + MAX_TOKENS + extra
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"question number " + i + " about streams\"}]}";
    }

    private static String completion(int i) {
        return "{\"model\":\"mock-model\",\"stream\":true,\"max_tokens\":" + MAX_TOKENS
                + ",\"prompt\":\"prompt number " + i + " about streams\"}";
    }

    /** The uninterrupted answer, straight from a worker. */
    private SseStream direct(String path, String body) {
        return SseStream.post("http://127.0.0.1:" + workers.get(workers.size() - 1).port() + path, body);
    }

    private static List<SseStream> concurrently(int n, java.util.function.IntFunction<SseStream> request) {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<SseStream>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(CompletableFuture.supplyAsync(() -> request.apply(k), pool));
            }
            return futures.stream().map(CompletableFuture::join).toList();
        }
    }

    private static void assertWhole(SseStream expected, SseStream got, String what) {
        assertEquals(200, got.status(), what);
        assertFalse(got.broken(), what + ": the client's stream was cut");
        assertNull(got.error(), what + ": " + got.error());
        assertTrue(got.done(), what + ": no [DONE]");
        assertEquals(expected.text(), got.text(), what + ": text");
        assertEquals(1, got.ids().size(), what + ": one id for the whole stream " + got.ids());
        assertEquals(1, got.createds().size(), what + ": one created " + got.createds());
        assertEquals(expected.finishReason(), got.finishReason(), what + ": finish reason");
        assertNotNull(got.usage(), what + ": usage");
        assertEquals(expected.usage().get("completion_tokens"), got.usage().get("completion_tokens"), what + ": usage");
        assertEquals(expected.usage().get("prompt_tokens"), got.usage().get("prompt_tokens"), what + ": usage");
    }

    @Test
    void aWorkerThatCrashesUnder24StreamsLosesNoTokenOfAny() {
        start(3, "--stream-stall-timeout-secs", "5");
        int streams = 24;
        List<SseStream> expected = concurrently(streams, i -> direct("/v1/chat/completions", chat(i, "")));
        // Round robin gives the first worker 8 streams; it dies 100 tokens into them (about 12 each).
        workers.get(0).dieAfterTokens(100, DeathMode.CRASH);
        List<SseStream> got = concurrently(streams, i -> SseStream.post(gateway.url("/v1/chat/completions"), chat(i, "")));
        for (int i = 0; i < streams; i++) {
            assertWhole(expected.get(i), got.get(i), "stream " + i);
        }
        // The crashed worker's 8 streams were continued (one that had not sent its first token yet, on
        // a slow machine, is retried instead: also invisible to its client).
        PrometheusText metrics = gateway.metrics();
        double migrations = metrics.sum("smg_stream_migrations_total", "reason", "broken");
        assertTrue(migrations >= 1 && migrations <= 8, "migrations: " + migrations);
        assertEquals(0.0, metrics.sum("smg_stream_breaks_total"));
        assertEquals(migrations, metrics.sum("smg_stream_migration_stall_seconds_count"));
        // Generation metrics see each stream whole, continued ones included: a first token, 29 gaps,
        // and the usage of 30 output tokens (the continuation's rewritten to cover the answer).
        assertEquals(streams, metrics.sum("smg_router_ttft_seconds_count"));
        assertEquals(streams * (MAX_TOKENS - 1), metrics.sum("smg_router_inter_token_latency_seconds_count"));
        assertEquals(streams, metrics.sum("smg_router_generation_duration_seconds_count"));
        assertEquals(streams * MAX_TOKENS, metrics.sum("smg_router_tokens_total", "token_type", "output"));
        double input = 0;
        for (SseStream e : expected) {
            input += ((Number) e.usage().get("prompt_tokens")).doubleValue();
        }
        assertEquals(input, metrics.sum("smg_router_tokens_total", "token_type", "input"));
    }

    /**
     * Two workers, the first crashing 10 tokens into its next stream; two streams in turn: whichever
     * way round robin sends them, exactly one is cut and continued on the other worker.
     */
    private void oneStreamCutAndContinued(String path, String body) {
        start(2, "--stream-stall-timeout-secs", "5");
        SseStream expected = direct(path, body);
        workers.get(0).dieAfterTokens(10, DeathMode.CRASH);
        for (int i = 0; i < 2; i++) {
            SseStream got = SseStream.post(gateway.url(path), body);
            assertFalse(got.broken(), path);
            assertNull(got.error(), path);
            assertTrue(got.done(), path);
            assertEquals(expected.text(), got.text(), path);
            assertEquals(1, got.ids().size(), path + ": one id " + got.ids());
            assertEquals(expected.usage().get("completion_tokens"), got.usage().get("completion_tokens"), path);
        }
        assertEquals(1.0, gateway.metrics().sum("smg_stream_migrations_total", "reason", "broken"), path);
    }

    @Test
    void completionStreamsAreContinued() {
        oneStreamCutAndContinued("/v1/completions", completion(1));
    }

    @Test
    void generateStreamsAreContinued() {
        oneStreamCutAndContinued("/generate", "{\"text\":\"generate about streams\",\"stream\":true,"
                + "\"sampling_params\":{\"max_new_tokens\":" + MAX_TOKENS + "}}");
    }

    @Test
    void aStalledWorkerIsLeftAfterTheStallTimeoutAndTheClientMissesNothing() {
        start(2, "--stream-stall-timeout-secs", "0.5");
        SseStream expected = direct("/v1/chat/completions", chat(1, ""));
        workers.get(0).dieAfterTokens(5, DeathMode.STALL);
        SseStream got = SseStream.post(gateway.url("/v1/chat/completions"), chat(1, ""));
        assertWhole(expected, got, "stalled stream");
        PrometheusText metrics = gateway.metrics();
        assertEquals(1.0, metrics.sum("smg_stream_migrations_total", "reason", "stalled"));
        // What the client waited at the migration: at least the stall timeout.
        assertTrue(metrics.sum("smg_stream_migration_stall_seconds_sum") >= 0.5);
    }

    @Test
    void aWorkerThatNeverStartsMissesTheFirstTokenDeadlineAndTheRequestIsRetried() {
        start(2, "--first-token-timeout-secs", "0.5");
        SseStream expected = direct("/v1/chat/completions", chat(1, ""));
        workers.get(0).dieAfterTokens(0, DeathMode.STALL);
        SseStream got = SseStream.post(gateway.url("/v1/chat/completions"), chat(1, ""));
        assertWhole(expected, got, "retried stream");
        PrometheusText metrics = gateway.metrics();
        assertEquals(1.0, metrics.sum("smg_stream_first_token_timeouts_total"));
        assertEquals(1.0, metrics.sum("smg_worker_retries_total"), "counted as a retry");
        assertEquals(0.0, metrics.sum("smg_stream_migrations_total"), "not a migration: nothing had been sent");
    }

    @Test
    void aStreamThatCannotBeContinuedEndsWithAnErrorEventAndDone() {
        start(2);
        workers.get(0).dieAfterTokens(5, DeathMode.CRASH);
        SseStream got = SseStream.post(gateway.url("/v1/chat/completions"), chat(1, ",\"n\":2"));
        assertFalse(got.broken(), "never a silent cut");
        assertTrue(got.done());
        assertNotNull(got.error());
        assertEquals("stream_interrupted", got.error().get("code"));
        assertTrue(String.valueOf(got.error().get("message")).contains("several choices"), got.error().toString());
        assertEquals(1.0, gateway.metrics().sum("smg_stream_breaks_total", "reason", "several_choices"));
    }

    @Test
    void theMigrationLimitEndsAStreamThatKeepsFailing() {
        start(3, "--stream-migration-limit", "1", "--stream-stall-timeout-secs", "5");
        workers.get(0).dieAfterTokens(5, DeathMode.CRASH);
        workers.get(1).dieAfterTokens(5, DeathMode.CRASH);
        workers.get(2).dieAfterTokens(5, DeathMode.CRASH);
        SseStream got = SseStream.post(gateway.url("/v1/chat/completions"), chat(1, ""));
        assertTrue(got.done());
        assertEquals("stream_interrupted", got.error().get("code"));
        PrometheusText metrics = gateway.metrics();
        assertEquals(1.0, metrics.sum("smg_stream_migrations_total"));
        assertEquals(1.0, metrics.sum("smg_stream_breaks_total", "reason", "migration_limit"));
    }

    @Test
    void wholeAnswersCountTheirTokensAndDuration() {
        start(1);
        java.net.http.HttpResponse<String> r = dev.smg.api.testing.Http.post(gateway.url("/v1/chat/completions"),
                "{\"model\":\"mock-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"one two three\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        java.util.Map<?, ?> usage = (java.util.Map<?, ?>) dev.smg.api.testing.Http.json(r).get("usage");
        PrometheusText metrics = gateway.metrics();
        assertEquals(5.0, metrics.sum("smg_router_tokens_total", "token_type", "output", "model", "mock-model"));
        assertEquals(((Number) usage.get("prompt_tokens")).doubleValue(),
                metrics.sum("smg_router_tokens_total", "token_type", "input"));
        assertEquals(1.0, metrics.sum("smg_router_generation_duration_seconds_count", "endpoint", "chat"));
        assertEquals(0.0, metrics.sum("smg_router_ttft_seconds_count"), "no first token in a whole answer");
    }

    @Test
    void withFailoverOffAFailedStreamIsCutAsBefore() {
        start(2, "--disable-stream-failover");
        workers.get(0).dieAfterTokens(5, DeathMode.CRASH);
        SseStream got = SseStream.post(gateway.url("/v1/chat/completions"), chat(1, ""));
        assertTrue(got.broken() || !got.done(), "the byte relay cuts the client's stream: " + got);
        assertEquals(0.0, gateway.metrics().sum("smg_stream_migrations_total"));
    }
}
