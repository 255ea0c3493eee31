package dev.smg.api;

import dev.smg.api.discovery.FakeApiServer;
import dev.smg.api.testing.FreePorts;
import dev.smg.api.testing.HaStatus;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.SmgProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.smg.api.discovery.FakeApiServer.NAMESPACE;
import static dev.smg.api.discovery.FakeApiServer.routerPod;
import static dev.smg.api.discovery.FakeApiServer.running;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code smg --service-discovery} as real processes: the client configures itself from a
 * kubeconfig (KUBECONFIG), takes the namespace from its context, and two routers started without
 * peers find each other through the pods a fake API server lists.
 */
class K8sDiscoveryProcessTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final String TOKEN = "k8s-test-token-must-not-be-logged";

    @Test
    void routerDiscoveryWithoutTheMeshIsRefusedInOneLine() throws Exception {
        try (SmgProcess smg = SmgProcess.start("--service-discovery", "--router-selector", "app=smg")) {
            assertEquals(2, smg.waitForExit(LIMIT));
            assertTrue(smg.output().contains("--router-selector needs --enable-mesh"), smg.output());
            assertEquals(1, smg.output().strip().lines().count(), smg.output());
        }
    }

    private static Path kubeconfig(FakeApiServer api) throws Exception {
        Path file = Files.createTempFile("kubeconfig", ".yaml");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: fake
                  cluster:
                    server: %s
                users:
                - name: router
                  user:
                    token: %s
                contexts:
                - name: fake
                  context:
                    cluster: fake
                    user: router
                    namespace: %s
                current-context: fake
                """.formatted(api.url(), TOKEN, NAMESPACE));
        return file;
    }

    private static SmgProcess start(Path kubeconfig, String name, int http, int mesh, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of(
                "--host", "127.0.0.1", "--port", String.valueOf(http), "--prometheus-host", "127.0.0.1",
                "--prometheus-port", String.valueOf(FreePorts.one()), "--enable-mesh", "--mesh-server-name", name,
                "--mesh-host", "127.0.0.1", "--mesh-port", String.valueOf(mesh), "--service-discovery",
                "--router-selector", "app=smg", "--shutdown-grace-period-secs", "1"));
        args.addAll(List.of(more));
        return SmgProcess.start(Map.of("KUBECONFIG", kubeconfig.toString()), args.toArray(String[]::new));
    }

    private static void createRouterPods(KubernetesClient admin, int mesh0, int mesh1) {
        // Both routers share 127.0.0.1, so each pod names its mesh port (Running, not yet Ready).
        admin.pods().inNamespace(NAMESPACE).resource(running(routerPod("smg-0").editMetadata()
                .addToAnnotations("sglang.ai/mesh-port", String.valueOf(mesh0)).endMetadata(), "127.0.0.1", false))
                .create();
        admin.pods().inNamespace(NAMESPACE).resource(running(routerPod("smg-1").editMetadata()
                .addToAnnotations("sglang.ai/mesh-port", String.valueOf(mesh1)).endMetadata(), "127.0.0.1", false))
                .create();
    }

    private static void createWorkerPod(KubernetesClient admin, String name, String ip) {
        admin.pods().inNamespace(NAMESPACE).resource(running(FakeApiServer.pod(name, NAMESPACE,
                Map.of("app", "vllm")), ip, true)).create();
    }

    private static String workers(int http) {
        return Http.get("http://127.0.0.1:" + http + "/workers").body();
    }

    /**
     * Worker discovery in a mesh: only the quorum's leader (smg-0, the smaller name) watches; its
     * workers reach smg-1 through replication. When smg-0 stops, smg-1 takes the watch over, lists,
     * and changes nothing that did not change (no worker drained or re-added); a pod created after
     * the handover is registered by smg-1.
     */
    @Test
    void inAMeshOnlyTheLeaderWatchesWorkerPodsAndTheNextOneTakesOverWithoutFlaps() throws Exception {
        int http0 = FreePorts.one();
        int http1 = FreePorts.one();
        int mesh0 = FreePorts.one();
        int mesh1 = FreePorts.one();
        int workerPort = FreePorts.one(); // nothing listens: the workers stay unhealthy, which is beside the point
        try (FakeApiServer api = new FakeApiServer(); KubernetesClient admin = api.client()) {
            Path config = kubeconfig(api);
            createRouterPods(admin, mesh0, mesh1);
            createWorkerPod(admin, "vllm-0", "127.0.0.2");
            createWorkerPod(admin, "vllm-1", "127.0.0.3");
            String[] workerDiscovery = {"--selector", "app=vllm", "--service-discovery-port", String.valueOf(workerPort)};
            String w0 = "http://127.0.0.2:" + workerPort;
            String w1 = "http://127.0.0.3:" + workerPort;
            String w2 = "http://127.0.0.4:" + workerPort;
            try (SmgProcess p0 = start(config, "smg-0", http0, mesh0, workerDiscovery);
                 SmgProcess p1 = start(config, "smg-1", http1, mesh1, workerDiscovery)) {
                try {
                    for (int http : new int[] {http0, http1}) {
                        await().atMost(LIMIT).ignoreExceptions().until(() -> workers(http).contains(w0)
                                && workers(http).contains(w1));
                    }
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("workers not everywhere; smg-0 said:\n" + p0.output() + "\nsmg-1 said:\n"
                            + p1.output(), e);
                }
                assertTrue(p0.output().contains("worker discovery: this router is the watcher now"), p0.output());
                assertFalse(p1.output().contains("worker discovery: watching pods"), "not the leader: " + p1.output());
                assertTrue(p1.output().contains("registered (by another router)"), p1.output());

                p0.terminate(); // the leader goes (graceful: it announces LEAVING)
                assertEquals(0, p0.waitForExit(LIMIT), p0.output());
                await().atMost(LIMIT).until(() -> p1.output().contains("worker discovery: watching pods"));
                createWorkerPod(admin, "vllm-2", "127.0.0.4");
                await().atMost(LIMIT).ignoreExceptions().until(() -> workers(http1).contains(w2));
                String after = workers(http1);
                assertTrue(after.contains(w0) && after.contains(w1), after);
                assertFalse(p1.output().contains("draining"), "no worker flapped: " + p1.output());
                assertFalse(p1.output().contains("added " + w0), "unchanged workers are not re-added: " + p1.output());
            } finally {
                Files.deleteIfExists(config);
            }
        }
    }

    private static Map<String, String> statuses(int http) {
        return HaStatus.statuses("http://127.0.0.1:" + http);
    }

    @Test
    void twoRoutersWithoutPeersFindEachOtherThroughTheApiServer() throws Exception {
        int http0 = FreePorts.one();
        int http1 = FreePorts.one();
        int mesh0 = FreePorts.one();
        int mesh1 = FreePorts.one();
        try (FakeApiServer api = new FakeApiServer(); KubernetesClient admin = api.client()) {
            Path config = kubeconfig(api);
            createRouterPods(admin, mesh0, mesh1);
            try (SmgProcess p0 = start(config, "smg-0", http0, mesh0);
                 SmgProcess p1 = start(config, "smg-1", http1, mesh1)) {
                Map<String, String> bothAlive = Map.of("smg-0", "1", "smg-1", "1");
                try {
                    for (int http : new int[] {http0, http1}) {
                        await().atMost(LIMIT).ignoreExceptions().until(() -> statuses(http).equals(bothAlive));
                    }
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("no cluster of two; smg-0 said:\n" + p0.output() + "\nsmg-1 said:\n"
                            + p1.output(), e);
                }
                for (SmgProcess p : List.of(p0, p1)) {
                    assertTrue(p.output().contains("router discovery: watching pods in namespace " + NAMESPACE),
                            p.output());
                    assertFalse(p.output().contains(TOKEN), "the token is never logged");
                    assertFalse(p.output().contains("SLF4J"), "fabric8's logging is routed, not defaulted");
                }
            } finally {
                Files.deleteIfExists(config);
            }
        }
    }
}
