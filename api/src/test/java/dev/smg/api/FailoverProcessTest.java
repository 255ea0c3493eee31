package dev.smg.api;

import dev.smg.api.testing.FreePorts;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.SmgProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A worker process killed with SIGKILL: every request still succeeds, on the surviving worker. */
class FailoverProcessTest {
    private static final String CHAT = "{\"model\":\"mock-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void killingAWorkerProcessLosesNoRequest() throws Exception {
        int portA = FreePorts.one();
        int portB = FreePorts.one();
        int gatewayPort = FreePorts.one();
        String base = "http://127.0.0.1:" + gatewayPort;
        try (SmgProcess a = SmgProcess.start("mock-worker", "--port", String.valueOf(portA));
             SmgProcess b = SmgProcess.start("mock-worker", "--port", String.valueOf(portB));
             SmgProcess gateway = SmgProcess.start("--policy", "round_robin", "--host", "127.0.0.1", "--port", String.valueOf(gatewayPort),
                     "--prometheus-host", "127.0.0.1", "--prometheus-port", String.valueOf(FreePorts.one()),
                     "--retry-initial-backoff-ms", "10", "--worker-urls", "http://127.0.0.1:" + portA,
                     "http://127.0.0.1:" + portB)) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                    Http.get(base + "/readiness").body().contains("\"healthy_workers\":2"));
            Set<Object> servedBy = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                servedBy.add(Http.json(Http.post(base + "/v1/chat/completions", CHAT)).get("worker"));
            }
            assertEquals(Set.of("mock-" + portA, "mock-" + portB), servedBy);

            a.kill();
            assertEquals(137, a.waitForExit(Duration.ofSeconds(30)));
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = Http.post(base + "/v1/chat/completions", CHAT);
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("mock-" + portB, Http.json(r).get("worker"));
            }
            assertTrue(gateway.isAlive());
        }
    }
}
