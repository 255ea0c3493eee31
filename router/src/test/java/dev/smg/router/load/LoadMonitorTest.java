package dev.smg.router.load;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.smg.router.proxy.UpstreamClient;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The load monitor against real engines' endpoints on 127.0.0.1 (the JDK's HTTP server): each
 * format found and read, and the faults of issue 14 (an endpoint that hangs, one that answers
 * garbage, an engine with none) bounded, counted, and without effect on the load view.
 */
class LoadMonitorTest {
    private static final String SGLANG = "{\"loads\": [{\"num_running_reqs\": 3, \"num_waiting_reqs\": 4, \"token_usage\": 0.5}]}";
    private static final String VLLM = "vllm:num_requests_running{model_name=\"m\"} 2\nvllm:num_requests_waiting{model_name=\"m\"} 1\n"
            + "vllm:kv_cache_usage_perc{model_name=\"m\"} 0.25\n";

    private final CountDownLatch release = new CountDownLatch(1);
    private final WorkerRegistry registry = new WorkerRegistry();
    private final LoadView view = new LoadView(LoadScore.DEFAULTS, Duration.ofSeconds(5), System::nanoTime);
    private final UpstreamClient client = new UpstreamClient(Duration.ofSeconds(1), Duration.ofSeconds(5));
    private final Map<String, EngineLoad> shared = new ConcurrentHashMap<>();
    private HttpServer server;
    private LoadMonitor monitor;

    @AfterEach
    void stop() {
        release.countDown();
        if (monitor != null) {
            monitor.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    /** An engine serving {@code routes} (path -> body; "HANG" never answers); anything else 404. */
    private Worker engine(Map<String, String> routes) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> answer(exchange, routes.get(exchange.getRequestURI().getPath())));
        server.start();
        Worker worker = registry.add(WorkerSpec.of(WorkerUrl.parse("http://127.0.0.1:" + server.getAddress().getPort())));
        worker.activate(List.of());
        return worker;
    }

    private void answer(HttpExchange exchange, String body) throws IOException {
        try (exchange) {
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (body.equals("HANG")) {
                release.await(30, TimeUnit.SECONDS);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private LoadMonitor monitor(Duration timeout) {
        monitor = new LoadMonitor(registry, client, view, Duration.ofMillis(100), timeout, "r1");
        monitor.shareThrough(new EngineLoadReplication() {
            @Override
            public boolean pollsHere(String workerUrl) {
                return true;
            }

            @Override
            public void measured(String workerUrl, EngineLoad load, int inFlightAtPoll) {
                shared.put(workerUrl, load);
            }
        });
        return monitor;
    }

    private static EngineLoadReplication everywhere() {
        return EngineLoadReplication.NONE;
    }

    @Test
    void anSglangEngineIsReadSharedAndScored() throws IOException {
        Worker worker = engine(Map.of("/v1/loads", SGLANG));
        LoadMonitor m = monitor(Duration.ofSeconds(2));
        m.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> view.engine(worker.urlText()).isPresent());
        assertEquals(new EngineLoad(3, 4, 0.5), view.engine(worker.urlText()).orElseThrow().load());
        assertEquals("r1", view.engine(worker.urlText()).orElseThrow().source());
        assertEquals(new EngineLoad(3, 4, 0.5), shared.get(worker.urlText()));
        assertEquals(7 - 2, view.of(worker), 1e-9); // 7 at the engine the gateway did not send, less the tolerance
        assertTrue(m.outcomes().get("ok") >= 1);
    }

    @Test
    void aVllmEngineIsFoundThroughItsMetrics() throws IOException {
        Worker worker = engine(Map.of("/metrics", VLLM));
        LoadMonitor m = monitor(Duration.ofSeconds(2));
        m.poll(worker, everywhere());
        assertEquals(new EngineLoad(2, 1, 0.25), view.engine(worker.urlText()).orElseThrow().load());
        m.poll(worker, everywhere()); // straight to /metrics now
        assertEquals(2L, m.outcomes().get("ok"));
    }

    @Test
    void anEndpointThatHangsIsBoundedAndCounted() throws IOException {
        Worker worker = engine(Map.of("/v1/loads", "HANG"));
        LoadMonitor m = monitor(Duration.ofMillis(300));
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> m.poll(worker, everywhere()));
        assertEquals(1L, m.outcomes().get("timeout"));
        assertTrue(view.engine(worker.urlText()).isEmpty());
        assertEquals(0.0, view.of(worker), "routed on in-flight counts alone");
    }

    @Test
    void garbageIsCountedAndChangesNothing() throws IOException {
        Worker worker = engine(Map.of("/v1/loads", "<html>502 Bad Gateway</html>", "/metrics", "go_goroutines 7\n"));
        LoadMonitor m = monitor(Duration.ofSeconds(2));
        m.poll(worker, everywhere());
        assertEquals(1L, m.outcomes().get("malformed"));
        assertTrue(view.engine(worker.urlText()).isEmpty());
        assertTrue(shared.isEmpty());
    }

    @Test
    void anEngineWithNoLoadEndpointIsNotAskedAgainAtOnce() throws IOException {
        Worker worker = engine(Map.of());
        LoadMonitor m = monitor(Duration.ofSeconds(2));
        m.poll(worker, everywhere());
        assertEquals(1L, m.outcomes().get("unsupported"));
        m.round(); // within the 30 s back-off: no poll starts
        assertEquals(1L, m.outcomes().values().stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void onlyTheWorkersAssignedHereArePolled() throws IOException {
        Worker worker = engine(Map.of("/v1/loads", SGLANG));
        monitor = new LoadMonitor(registry, client, view, Duration.ofMillis(100), Duration.ofSeconds(2), "r1");
        monitor.shareThrough(new EngineLoadReplication() {
            @Override
            public boolean pollsHere(String workerUrl) {
                return false; // another router polls it
            }

            @Override
            public void measured(String workerUrl, EngineLoad load, int inFlightAtPoll) {
                shared.put(workerUrl, load);
            }
        });
        monitor.round();
        monitor.round();
        assertEquals(0L, monitor.outcomes().values().stream().mapToLong(Long::longValue).sum());
        assertTrue(view.engine(worker.urlText()).isEmpty());
    }
}
