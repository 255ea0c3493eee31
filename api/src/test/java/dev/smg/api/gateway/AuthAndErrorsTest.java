package dev.smg.api.gateway;

import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.PrometheusText;
import dev.smg.api.testing.TestGateway;
import dev.smg.router.worker.WorkerStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** API keys (gateway and per-worker), the error bodies clients see, and the metrics they leave. */
class AuthAndErrorsTest {
    private static final String KEY = "gateway-secret-key";
    private static final String AUTH = "Bearer " + KEY;
    private static final String CHAT = "{\"model\":\"mock-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static MockWorker worker;
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        // The worker has its own key: the gateway must send that one, never the client's.
        worker = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", 0, 2, Optional.of("worker-key")));
        gateway = TestGateway.start("--api-key", KEY, "--max-payload-size", "1000");
        HttpResponse<String> added = Http.post(gateway.url("/workers"),
                "{\"url\":\"http://127.0.0.1:" + worker.port() + "\",\"api_key\":\"worker-key\"}", "Authorization", AUTH);
        assertEquals(202, added.statusCode(), added.body());
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.process().registry().snapshot().stream()
                .allMatch(w -> w.status() == WorkerStatus.READY));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        worker.stop();
    }

    @Test
    void everyApiAndAdminRouteNeedsTheKeyButProbesDoNot() {
        for (HttpResponse<String> r : new HttpResponse[] {
                Http.post(gateway.url("/v1/chat/completions"), CHAT),
                Http.post(gateway.url("/v1/chat/completions"), CHAT, "Authorization", "Bearer wrong"),
                Http.post(gateway.url("/v1/chat/completions"), CHAT, "Authorization", KEY),
                Http.get(gateway.url("/v1/models")),
                Http.get(gateway.url("/workers")),
                Http.post(gateway.url("/workers"), "{\"url\":\"http://127.0.0.1:1\"}")}) {
            assertEquals(401, r.statusCode());
            assertEquals("invalid_api_key", Http.error(r).get("code"));
            assertEquals("authentication_error", Http.error(r).get("type"));
        }
        for (String probe : new String[] {"/health", "/liveness", "/readiness"}) {
            assertEquals(200, Http.get(gateway.url(probe)).statusCode(), probe);
        }
        HttpResponse<String> ok = Http.post(gateway.url("/v1/chat/completions"), CHAT, "Authorization", AUTH);
        assertEquals(200, ok.statusCode(), "the worker accepted the worker key: " + ok.body());
    }

    @Test
    void clientErrorsGetOpenAiEnvelopes() {
        HttpResponse<String> malformed = Http.post(gateway.url("/v1/chat/completions"), "{\"model\":", "Authorization", AUTH);
        assertEquals(400, malformed.statusCode());
        assertEquals("json_parse_error", Http.error(malformed).get("code"));
        HttpResponse<String> missing = Http.post(gateway.url("/v1/chat/completions"), "{\"model\":\"mock-model\"}",
                "Authorization", AUTH);
        assertEquals(400, missing.statusCode());
        assertEquals("missing_required_field", Http.error(missing).get("code"));
        assertTrue(((String) Http.error(missing).get("message")).contains("messages"));
        HttpResponse<String> tooBig = Http.post(gateway.url("/v1/chat/completions"),
                "{\"model\":\"mock-model\",\"messages\":[],\"pad\":\"" + "x".repeat(2000) + "\"}", "Authorization", AUTH);
        assertEquals(413, tooBig.statusCode());
        assertEquals("payload_too_large", Http.error(tooBig).get("code"));
        HttpResponse<String> unknown = Http.post(gateway.url("/v1/completions"), "{\"model\":\"nope\",\"prompt\":\"x\"}",
                "Authorization", AUTH);
        assertEquals(404, unknown.statusCode());
        Map<String, Object> error = Http.error(unknown);
        assertEquals("model_not_found", error.get("code"));
        assertTrue(error.containsKey("param"));
        assertEquals("model_not_found", unknown.headers().firstValue("X-SMG-Error-Code").orElse(""));
    }

    @Test
    void metricsAreExposedInPrometheusTextAndCountRequests() {
        Http.post(gateway.url("/v1/chat/completions"), CHAT, "Authorization", AUTH);
        Http.post(gateway.url("/v1/chat/completions"), CHAT);
        PrometheusText metrics = gateway.metrics();
        assertTrue(metrics.sum("smg_http_responses_total", "path", "/v1/chat/completions", "status_code", "200") >= 1);
        assertTrue(metrics.sum("smg_http_responses_total", "path", "/v1/chat/completions", "status_code", "401",
                "error_code", "invalid_api_key") >= 1);
        assertTrue(metrics.sum("smg_http_requests_total", "method", "POST", "path", "/v1/chat/completions") >= 2);
        assertTrue(metrics.sum("smg_http_request_duration_seconds_count", "path", "/v1/chat/completions") >= 2);
        String workerUrl = "http://127.0.0.1:" + worker.port();
        assertEquals(1.0, metrics.sum("smg_worker_health", "worker", workerUrl));
        assertEquals(0.0, metrics.sum("smg_worker_cb_state", "worker", workerUrl));
        assertEquals(0.0, metrics.sum("smg_worker_requests_active", "worker", workerUrl));
        assertTrue(metrics.sum("smg_router_upstream_responses_total", "status_code", "200") >= 1);
        assertFalse(metrics.samples("jvm_memory_used_bytes").isEmpty());
    }

    /** promtool is Prometheus' own linter; where it is installed, the exposition must pass it. */
    @Test
    void exposititionPassesPromtoolWhereInstalled() throws Exception {
        java.nio.file.Path promtool = java.nio.file.Path.of("/usr/bin/promtool");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(promtool),
                "promtool not installed (apt-get install prometheus)");
        String text = Http.get("http://127.0.0.1:" + gateway.process().metricsPort() + "/metrics").body();
        Process check = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (var in = check.getOutputStream()) {
            in.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String output = new String(check.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, check.waitFor(), output);
        assertTrue(output.isBlank(), "promtool warnings: " + output);
    }
}
