package dev.smg.api;

import dev.smg.api.testing.FreePorts;
import dev.smg.api.testing.SmgProcess;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole slice as separate processes: {@code smg mock-worker --count 2} and {@code smg} on free ports. */
class EndToEndProcessTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern WORKER = Pattern.compile("\"worker\":\"(mock-\\d+)\"");

    @Test
    void gatewayProcessStreamsFromTwoMockWorkerProcessesInTurn() throws Exception {
        int workerPort = FreePorts.consecutive(2);
        int gatewayPort = FreePorts.one();
        try (SmgProcess workers = SmgProcess.start("mock-worker", "--port", String.valueOf(workerPort), "--count", "2",
                "--gen-ms", "200", "--stream-chunks", "4");
             SmgProcess gateway = SmgProcess.start("launch", "--policy", "round_robin", "--host", "127.0.0.1", "--port",
                     String.valueOf(gatewayPort), "--worker-urls", "http://127.0.0.1:" + workerPort,
                     "http://127.0.0.1:" + (workerPort + 1))) {
            URI ready = URI.create("http://127.0.0.1:" + (workerPort + 1) + "/health");
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                    HTTP.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
            URI readiness = URI.create("http://127.0.0.1:" + gatewayPort + "/readiness");
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                    HTTP.send(HttpRequest.newBuilder(readiness).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);

            List<String> servedBy = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + gatewayPort + "/v1/chat/completions"))
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"mock-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
                Matcher m = WORKER.matcher(r.body());
                assertTrue(m.find(), r.body());
                servedBy.add(m.group(1));
            }
            assertEquals(List.of(servedBy.get(0), servedBy.get(1), servedBy.get(0), servedBy.get(1)), servedBy);
            assertNotEquals(servedBy.get(0), servedBy.get(1));
            assertTrue(gateway.isAlive() && workers.isAlive());
        }
    }
}
