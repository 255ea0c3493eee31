package dev.smg.api.discovery;

import dev.smg.api.config.WorkerDiscoveryConfig;
import dev.smg.api.testing.QuietLogs;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerStatus;
import dev.smg.router.worker.WorkerUrl;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.stream.Collectors;

import static dev.smg.api.discovery.FakeApiServer.NAMESPACE;
import static dev.smg.api.discovery.FakeApiServer.pod;
import static dev.smg.api.discovery.FakeApiServer.running;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link WorkerDiscovery} against a fake API server: worker pods become registry entries and go again. */
class K8sWorkerDiscoveryTest {
    /** The fake's per-request INFO lines, and the expected warnings of the error test. */
    @RegisterExtension
    static final QuietLogs QUIET = new QuietLogs(Level.SEVERE, "io.fabric8", "dev.smg");
    private static final Duration LIMIT = Duration.ofSeconds(20);
    private static final Map<String, String> WORKER = Map.of("app", "vllm");

    private FakeApiServer api;
    private KubernetesClient admin;
    private final WorkerRegistry registry = new WorkerRegistry();
    private final PrometheusRegistry metrics = new PrometheusRegistry();
    private WorkerDiscoveryDuty duty;
    private WorkerDiscovery discovery;

    @BeforeEach
    void startServer() {
        api = new FakeApiServer();
        admin = api.client();
    }

    @AfterEach
    void stop() {
        if (discovery != null) {
            api.failRequests(false);
            // Closing a watch while the fake replays pods into it can hang the fake (see FakeApiServer.close).
            await().atMost(LIMIT).until(discovery.watch()::isWatching);
            duty.close();
        }
        admin.close();
        api.close();
    }

    private void discover() {
        WorkerDiscoveryConfig config = new WorkerDiscoveryConfig(WORKER, Optional.of(NAMESPACE), 8000,
                Optional.of(ModelIdFrom.parse("label:model")));
        duty = WorkerDiscoveryDuty.start(api.config(), config, registry, Duration.ofSeconds(30), () -> true, metrics);
        discovery = duty.current().orElseThrow();
    }

    private static PodBuilder workerPod(String name) {
        return pod(name, NAMESPACE, WORKER);
    }

    private void put(Pod pod) {
        admin.pods().inNamespace(NAMESPACE).resource(pod).createOr(op -> op.update());
    }

    private void delete(String name) {
        admin.pods().inNamespace(NAMESPACE).withName(name).delete();
    }

    private Set<String> urls() {
        return registry.snapshot().stream().map(Worker::urlText).collect(Collectors.toSet());
    }

    private void awaitWorkers(String... ips) {
        Set<String> expected = Arrays.stream(ips).map(ip -> "http://" + ip).collect(Collectors.toSet());
        await().atMost(LIMIT).until(() -> expected.equals(urls()));
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, metrics.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void scalingUpAndDownAddsAndRemovesWorkers() {
        put(running(workerPod("vllm-0"), "10.0.1.1", true));
        put(running(workerPod("vllm-1"), "10.0.1.2", true));
        put(running(pod("router", NAMESPACE, Map.of("app", "smg")), "10.0.9.9", true)); // not a worker pod
        discover();
        awaitWorkers("10.0.1.1:8000", "10.0.1.2:8000");
        put(running(workerPod("vllm-2"), "10.0.1.3", true));
        awaitWorkers("10.0.1.1:8000", "10.0.1.2:8000", "10.0.1.3:8000");
        delete("vllm-0");
        delete("vllm-2");
        awaitWorkers("10.0.1.2:8000");
        assertEquals(Set.of(WorkerUrl.parse("http://10.0.1.2:8000")), discovery.reconciler().owned());
    }

    @Test
    void aPodIsAWorkerOnlyWhileReadyAndItsModelComesFromItsLabel() {
        put(FakeApiServer.pending(workerPod("vllm-0")));
        discover();
        await().atMost(LIMIT).until(discovery.watch()::hasListed);
        assertEquals(Set.of(), urls(), "Pending: not a worker");
        put(running(workerPod("vllm-0"), "10.0.1.1", false));
        put(running(workerPod("vllm-1").editMetadata().addToLabels("model", "llama-3").endMetadata(),
                "10.0.1.2", true));
        awaitWorkers("10.0.1.2:8000"); // vllm-0 is Running but not Ready
        assertEquals(List.of("llama-3"), registry.find(WorkerUrl.parse("http://10.0.1.2:8000")).orElseThrow()
                .spec().models());
        put(running(workerPod("vllm-0"), "10.0.1.1", true));
        awaitWorkers("10.0.1.1:8000", "10.0.1.2:8000");
        put(running(workerPod("vllm-0"), "10.0.1.1", false)); // turns not Ready: drained and removed
        awaitWorkers("10.0.1.2:8000");
    }

    @Test
    void aPodRestartingWithANewIpReplacesItsWorker() {
        put(running(workerPod("vllm-0"), "10.0.1.1", true));
        discover();
        awaitWorkers("10.0.1.1:8000");
        put(running(workerPod("vllm-0"), "10.0.1.7", true));
        awaitWorkers("10.0.1.7:8000");
    }

    @Test
    void aRemovedPodsWorkerFinishesItsInFlightRequestsFirst() {
        put(running(workerPod("vllm-0"), "10.0.1.1", true));
        discover();
        awaitWorkers("10.0.1.1:8000");
        Worker worker = registry.snapshot().get(0);
        Worker.Lease lease = worker.acquire(); // a request in flight
        delete("vllm-0");
        await().atMost(LIMIT).until(() -> worker.status() == WorkerStatus.DRAINING);
        assertSame(worker, registry.find(worker.url()).orElseThrow(), "kept while its request runs");
        lease.close();
        awaitWorkers();
    }

    @Test
    void workersAddedByHandAreNeverRemovedByDiscovery() {
        registry.add(WorkerSpec.of(WorkerUrl.parse("http://10.0.1.1:8000"))); // e.g. --worker-urls
        registry.add(WorkerSpec.of(WorkerUrl.parse("http://10.0.5.5:8000"))); // e.g. POST /workers
        put(running(workerPod("vllm-0"), "10.0.1.1", true)); // a pod at a hand-added worker's URL
        put(running(workerPod("vllm-1"), "10.0.1.2", true));
        discover();
        awaitWorkers("10.0.1.1:8000", "10.0.1.2:8000", "10.0.5.5:8000");
        assertEquals(Set.of(WorkerUrl.parse("http://10.0.1.2:8000")), discovery.reconciler().owned());
        delete("vllm-0");
        delete("vllm-1");
        awaitWorkers("10.0.1.1:8000", "10.0.5.5:8000");
    }

    /** What a router that becomes the mesh's leader finds: the workers the former leader registered, replicated. */
    @Test
    void aNewWatcherChangesOnlyWhatDiffersFromTheDiscoveredWorkersTheClusterHolds() {
        put(running(workerPod("vllm-0"), "10.0.1.1", true));
        put(running(workerPod("vllm-1"), "10.0.1.2", true));
        Worker kept0 = registry.add(discovered("10.0.1.1:8000", "vllm-0"));
        Worker kept1 = registry.add(discovered("10.0.1.2:8000", "vllm-1"));
        registry.add(discovered("10.0.1.9:8000", "vllm-deleted-meanwhile"));
        discover();
        awaitWorkers("10.0.1.1:8000", "10.0.1.2:8000");
        assertSame(kept0, registry.find(kept0.url()).orElseThrow(), "not removed and re-added");
        assertSame(kept1, registry.find(kept1.url()).orElseThrow(), "not removed and re-added");
        assertTrue(kept0.status() != WorkerStatus.DRAINING && kept1.status() != WorkerStatus.DRAINING);
    }

    private static WorkerSpec discovered(String address, String pod) {
        return new WorkerSpec(WorkerUrl.parse("http://" + address), List.of(), Optional.empty(),
                Map.of(WorkerPods.POD_LABEL, pod));
    }

    @Test
    void anApiServerReturningErrorsIsRetriedCountedAndWorkersAreKept() throws IOException {
        put(running(workerPod("vllm-0"), "10.0.1.1", true));
        put(running(workerPod("vllm-1"), "10.0.1.2", true));
        discover();
        awaitWorkers("10.0.1.1:8000", "10.0.1.2:8000");
        assertTrue(scrape().contains("smg_discovery_errors_total{source=\"kubernetes\"} 0.0"), scrape());
        api.failRequests(true);
        api.restart(); // the watch is cut, and every list and re-watch now answers 500
        await().atMost(LIMIT).until(() -> duty.errors() >= 2);
        assertEquals(Set.of("http://10.0.1.1:8000", "http://10.0.1.2:8000"), urls(), "kept while blind");
        assertTrue(scrape().lines().anyMatch(l -> l.startsWith("smg_discovery_errors_total{source=\"kubernetes\"} ")
                && !l.endsWith(" 0.0")), scrape());
        api.failRequests(false);
        await().atMost(LIMIT).until(discovery.watch()::isWatching);
        delete("vllm-0"); // seen again once the API server answers
        awaitWorkers("10.0.1.2:8000");
    }
}
