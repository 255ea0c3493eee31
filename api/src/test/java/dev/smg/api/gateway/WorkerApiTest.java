package dev.smg.api.gateway;

import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The /workers API end to end: add, probe, serve, list, reject duplicates and bad input, drain and remove. */
class WorkerApiTest {
    private static final String CHAT = "{\"model\":\"mock-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private MockWorker worker;
    private TestGateway gateway;

    @AfterEach
    void stop() {
        gateway.close();
        if (worker != null) {
            worker.stop();
        }
    }

    @Test
    void aWeightIsGivenAtRegistrationAndShownAndABadOneIsRefused() {
        gateway = TestGateway.start();
        HttpResponse<String> added = Http.post(gateway.url("/workers"), "{\"url\":\"http://127.0.0.1:9\",\"weight\":3}");
        assertEquals(202, added.statusCode(), added.body());
        String id = (String) Http.json(added).get("worker_id");
        assertEquals(3, ((Number) Http.json(Http.get(gateway.url("/workers/" + id))).get("weight")).intValue());
        Map<?, ?> listed = (Map<?, ?>) ((List<?>) Http.json(Http.get(gateway.url("/workers"))).get("workers")).get(0);
        assertEquals(3, ((Number) listed.get("weight")).intValue());
        HttpResponse<String> unweighted = Http.post(gateway.url("/workers"), "{\"url\":\"http://127.0.0.1:10\"}");
        assertEquals(1, ((Number) Http.json(Http.get(gateway.url("/workers/"
                + Http.json(unweighted).get("worker_id")))).get("weight")).intValue(), "the default weight");

        for (String bad : List.of("0", "-1", "1001", "2.5", "\"2\"", "true", "99999999999999999999")) {
            HttpResponse<String> refused = Http.post(gateway.url("/workers"),
                    "{\"url\":\"http://127.0.0.1:11\",\"weight\":" + bad + "}");
            assertEquals(400, refused.statusCode(), bad);
            Map<String, Object> error = Http.error(refused);
            assertEquals("BAD_REQUEST", error.get("code"));
            assertTrue(((String) error.get("message")).startsWith("'weight' must be an integer from 1 to 1000, got "),
                    (String) error.get("message"));
        }
        // A registered URL keeps its spec: registering it again with another weight is a conflict.
        HttpResponse<String> again = Http.post(gateway.url("/workers"), "{\"url\":\"http://127.0.0.1:9\",\"weight\":5}");
        assertEquals(409, again.statusCode());
        assertEquals(3, ((Number) Http.json(Http.get(gateway.url("/workers/" + id))).get("weight")).intValue());
    }

    @Test
    void aWorkerAddedThroughTheApiIsProbedServesAndIsRemovedAfterDraining() {
        worker = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", 1500, 3));
        gateway = TestGateway.start();
        String url = "http://127.0.0.1:" + worker.port();

        HttpResponse<String> added = Http.post(gateway.url("/workers"), "{\"url\":\"" + url + "\",\"labels\":{\"zone\":\"a\"}}");
        assertEquals(202, added.statusCode(), added.body());
        String id = (String) Http.json(added).get("worker_id");
        assertEquals("/workers/" + id, added.headers().firstValue("Location").orElse(""));
        await().atMost(Duration.ofSeconds(30)).until(() ->
                "ready".equals(Http.json(Http.get(gateway.url("/workers/" + id))).get("status")));
        Map<String, Object> info = Http.json(Http.get(gateway.url("/workers/" + id)));
        assertEquals(List.of("mock-model"), info.get("models"), "models are learned from the worker's /v1/models");
        assertEquals(Map.of("zone", "a"), info.get("labels"));

        assertEquals(200, Http.post(gateway.url("/v1/chat/completions"), CHAT).statusCode());
        Map<String, Object> models = Http.json(Http.get(gateway.url("/v1/models")));
        assertEquals("list", models.get("object"));
        assertEquals("mock-model", ((Map<?, ?>) ((List<?>) models.get("data")).get(0)).get("id"));
        HttpResponse<String> unknownModel = Http.post(gateway.url("/v1/chat/completions"),
                "{\"model\":\"gpt-none\",\"messages\":[]}");
        assertEquals(404, unknownModel.statusCode());
        assertEquals("model_not_found", Http.error(unknownModel).get("code"));

        HttpResponse<String> duplicate = Http.post(gateway.url("/workers"), "{\"url\":\"" + url + "/\"}");
        assertEquals(409, duplicate.statusCode());
        assertEquals("WORKER_ALREADY_EXISTS", Http.error(duplicate).get("code"));
        assertEquals(400, Http.post(gateway.url("/workers"), "{\"url\":\"ftp://x\"}").statusCode());
        assertEquals(400, Http.post(gateway.url("/workers"), "{\"models\":[]}").statusCode());
        assertEquals(400, Http.post(gateway.url("/workers"), "{oops").statusCode());
        assertEquals(400, Http.get(gateway.url("/workers/not-a-uuid")).statusCode());
        assertEquals(404, Http.get(gateway.url("/workers/00000000-0000-0000-0000-000000000000")).statusCode());
        assertEquals(1, ((Number) Http.json(Http.get(gateway.url("/workers"))).get("total")).intValue());

        // Removal drains: a request in flight finishes, new ones get no worker.
        var inFlight = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> Http.post(gateway.url("/v1/chat/completions"), CHAT));
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.running() == 1);
        assertEquals(202, Http.delete(gateway.url("/workers/" + id)).statusCode());
        assertEquals(503, Http.post(gateway.url("/v1/chat/completions"), CHAT).statusCode());
        assertEquals(200, inFlight.join().statusCode(), "the in-flight request finishes");
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(gateway.url("/workers/" + id)).statusCode() == 404);
        assertEquals(0, ((Number) Http.json(Http.get(gateway.url("/workers"))).get("total")).intValue());
        assertFalse(Http.get(gateway.url("/workers")).body().contains("api_key\""));
        assertTrue(true);
    }
}
