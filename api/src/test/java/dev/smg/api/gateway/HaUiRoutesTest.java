package dev.smg.api.gateway;

import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /ha/ui's files and /ha/overview on one router without the mesh, behind --api-key. */
@org.junit.jupiter.api.extension.ExtendWith(dev.smg.api.testing.QuietLogs.Helidon.class)
class HaUiRoutesTest {
    private static final String KEY = "ui-test-key";
    private static final String[] AUTH = {"Authorization", "Bearer " + KEY};
    private MockWorker worker;
    private TestGateway gateway;

    @BeforeEach
    void start() {
        worker = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", 0, 1));
        gateway = TestGateway.start("--api-key", KEY);
    }

    @AfterEach
    void stop() {
        gateway.close();
        worker.stop();
    }

    @Test
    void thePageIsServedWithoutTheKeyAndHoldsNoData() {
        HttpResponse<String> page = Http.get(gateway.url("/ha/ui"));
        assertEquals(200, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(page.body().contains("<table id=\"members\">"), page.body());
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().contains("script-src 'self'"));
        HttpResponse<String> script = Http.get(gateway.url("/ha/ui/app.js"));
        assertEquals(200, script.statusCode());
        assertTrue(script.body().contains("/ha/overview"));
        assertEquals(200, Http.get(gateway.url("/ha/ui/app.css")).statusCode());
        assertEquals(401, Http.get(gateway.url("/ha/ui/secrets.json")).statusCode(), "only the page's files are open");
        assertEquals(404, Http.get(gateway.url("/ha/ui/secrets.json"), AUTH).statusCode());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theOverviewNeedsTheKeyAndDescribesTheSingleRouter() {
        assertEquals(401, Http.get(gateway.url("/ha/overview")).statusCode());
        Map<String, Object> first = Http.json(Http.get(gateway.url("/ha/overview"), AUTH));
        assertEquals(false, first.get("mesh"));
        List<Map<String, Object>> members = (List<Map<String, Object>>) first.get("members");
        assertEquals(1, members.size());
        assertEquals("ALIVE", members.get(0).get("status_name"));
        assertEquals(true, members.get(0).get("self"));
        assertEquals(List.of(), first.get("events"), "the first look is the baseline");

        String url = "http://127.0.0.1:" + worker.port();
        assertEquals(202, Http.post(gateway.url("/workers"), "{\"url\":\"" + url + "\"}", AUTH).statusCode());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Map<String, Object> now = Http.json(Http.get(gateway.url("/ha/overview"), AUTH));
            List<Map<String, Object>> local = (List<Map<String, Object>>) now.get("local_workers");
            assertEquals(1, local.size());
            assertEquals("ready", local.get(0).get("status"));
            List<Map<String, Object>> events = (List<Map<String, Object>>) now.get("events");
            assertTrue(events.stream().anyMatch(e -> "worker".equals(e.get("kind")) && url.equals(e.get("subject"))
                    && String.valueOf(e.get("text")).startsWith("added: ")), events.toString());
        });
    }
}
