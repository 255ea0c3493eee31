package dev.smg.api;

import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.api.testing.FreePorts;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.SmgProcess;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SIGTERM to a separate gateway JVM during a long stream: readiness goes 503, the stream completes, exit 0. */
class GracefulShutdownProcessTest {
    @Test
    void sigtermDuringALongStreamLetsItFinishThenExitsZero() throws Exception {
        MockWorker worker = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", 8000, 8));
        int port = FreePorts.one();
        String base = "http://127.0.0.1:" + port;
        try (SmgProcess gateway = SmgProcess.start("--host", "127.0.0.1", "--port", String.valueOf(port),
                "--prometheus-host", "127.0.0.1", "--prometheus-port", String.valueOf(FreePorts.one()),
                "--shutdown-grace-period-secs", "60", "--worker-urls", "http://127.0.0.1:" + worker.port())) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> Http.get(base + "/readiness").statusCode() == 200);

            HttpResponse<Stream<String>> response = Http.CLIENT.send(HttpRequest.newBuilder(
                            URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"mock-model\",\"stream\":true,\"messages\":[]}"))
                    .build(), HttpResponse.BodyHandlers.ofLines());
            List<String> events = new ArrayList<>();
            try (Stream<String> lines = response.body()) {
                Iterator<String> it = lines.filter(l -> l.startsWith("data: ")).iterator();
                events.add(it.next());
                gateway.terminate(); // SIGTERM with the stream about 1 s into its 8 s
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> Http.get(base + "/readiness").statusCode() == 503);
                assertTrue(Http.get(base + "/readiness").body().contains("draining"));
                it.forEachRemaining(events::add);
            }
            assertEquals("data: [DONE]", events.get(events.size() - 1), "the stream was cut: " + events);
            assertEquals(10, events.size());
            assertEquals(0, gateway.waitForExit(Duration.ofSeconds(60)), gateway.output());
            assertTrue(gateway.output().contains("all in-flight requests finished"), gateway.output());
        } finally {
            worker.stop();
        }
    }
}
