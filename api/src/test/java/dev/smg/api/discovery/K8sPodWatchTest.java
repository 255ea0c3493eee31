package dev.smg.api.discovery;

import dev.smg.mesh.PeerAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.smg.api.discovery.FakeApiServer.NAMESPACE;
import static dev.smg.api.discovery.FakeApiServer.pending;
import static dev.smg.api.discovery.FakeApiServer.pod;
import static dev.smg.api.discovery.FakeApiServer.routerPod;
import static dev.smg.api.discovery.FakeApiServer.running;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link RouterPodWatch} against a fake API server: real list and watch over HTTP. */
class K8sPodWatchTest {
    private static final int MESH_PORT = 39527;
    private static final Duration LIMIT = Duration.ofSeconds(20);

    private FakeApiServer api;
    private KubernetesClient client;
    private RouterPodWatch watch;
    private final List<Set<PeerAddress>> published = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startServer() {
        api = new FakeApiServer();
        client = api.client();
    }

    @AfterEach
    void stop() {
        if (watch != null) {
            // Closing a watch while the fake is still replaying pods into it can hang the fake
            // (see FakeApiServer.close); once the watch is open that replay is over.
            await().atMost(LIMIT).until(watch::isWatching);
            watch.close();
        }
        client.close();
        api.close();
    }

    private void watch(Map<String, String> selector, String selfName, PeerAddress selfAddress) {
        MeshPeerPods rule = new MeshPeerPods("sglang.ai/mesh-port", MESH_PORT, Set.of(selfName), selfAddress);
        watch = RouterPodWatch.start(client, NAMESPACE, selector, rule, published::add);
    }

    private void watchAppSmg() {
        watch(Map.of("app", "smg"), "self", new PeerAddress("10.0.0.99", MESH_PORT));
    }

    private Set<PeerAddress> latest() {
        return published.isEmpty() ? null : published.get(published.size() - 1);
    }

    private void awaitPeers(String... addresses) {
        Set<PeerAddress> expected = java.util.Arrays.stream(addresses).map(PeerAddress::parse)
                .collect(java.util.stream.Collectors.toSet());
        await().atMost(LIMIT).until(() -> expected.equals(latest()));
    }

    private void put(Pod pod) {
        client.pods().inNamespace(NAMESPACE).resource(pod).createOr(op -> op.update());
    }

    private void delete(String name) {
        client.pods().inNamespace(NAMESPACE).withName(name).delete();
    }

    @Test
    void aPodIsAPeerOnceRunningWithAnIpAndIsRemovedWhenDeleted() {
        put(pending(routerPod("smg-0")));
        watchAppSmg();
        awaitPeers(); // listed, but Pending without an IP
        put(running(routerPod("smg-0"), "10.0.0.1", false));
        awaitPeers("10.0.0.1:39527"); // Running but not yet Ready: a peer all the same (see MeshPeerPods)
        int before = published.size();
        put(running(routerPod("smg-0"), "10.0.0.1", true));
        put(running(routerPod("smg-1"), "10.0.0.2", true));
        awaitPeers("10.0.0.1:39527", "10.0.0.2:39527");
        assertEquals(before + 1, published.size(), "becoming Ready changed nothing, so nothing was re-published");
        delete("smg-0");
        awaitPeers("10.0.0.2:39527");
        delete("smg-1");
        awaitPeers();
    }

    @Test
    void onlyPodsMatchingEveryLabelOfTheSelectorInTheNamespaceCount() {
        Map<String, String> router = Map.of("app", "smg", "tier", "router");
        put(running(pod("router", NAMESPACE, router), "10.0.0.1", true));
        put(running(pod("worker", NAMESPACE, Map.of("app", "smg", "tier", "worker")), "10.0.0.2", true));
        put(running(pod("other", NAMESPACE, Map.of("app", "other", "tier", "router")), "10.0.0.3", true));
        client.pods().inNamespace("elsewhere").resource(running(pod("far", "elsewhere", router), "10.0.0.4", true))
                .create();
        watch(router, "self", new PeerAddress("10.0.0.99", MESH_PORT));
        awaitPeers("10.0.0.1:39527");
        put(running(pod("late-worker", NAMESPACE, Map.of("app", "smg", "tier", "worker")), "10.0.0.5", true));
        put(running(pod("late-router", NAMESPACE, router), "10.0.0.6", true));
        awaitPeers("10.0.0.1:39527", "10.0.0.6:39527");
    }

    @Test
    void theAnnotationGivesThePortAndThisPodIsLeftOut() {
        put(running(routerPod("annotated").editMetadata().addToAnnotations("sglang.ai/mesh-port", "7100")
                .endMetadata(), "10.0.0.1", true));
        put(running(routerPod("bad-port").editMetadata().addToAnnotations("sglang.ai/mesh-port", "http")
                .endMetadata(), "10.0.0.2", true));
        put(running(routerPod("self"), "10.0.0.3", true)); // this node, by name
        put(running(routerPod("self-by-ip"), "10.0.0.99", true)); // this node, by address
        put(running(routerPod("plain"), "10.0.0.4", true));
        watchAppSmg();
        awaitPeers("10.0.0.1:7100", "10.0.0.4:39527");
    }

    @Test
    void theWatchIsReestablishedAfterTheServerDropsIt() {
        put(running(routerPod("smg-0"), "10.0.0.1", true));
        watchAppSmg();
        awaitPeers("10.0.0.1:39527");
        api.restart(); // every open watch is cut; the contents stay
        // Created while the client is cut off or reconnecting: the re-opened watch must bring it.
        // (The fake replays every current pod as ADDED when a watch opens; a real API server
        // resumes from the resource version, and answers 410 when that is too old, which makes
        // the informer list again.)
        put(running(routerPod("smg-1"), "10.0.0.2", true));
        awaitPeers("10.0.0.1:39527", "10.0.0.2:39527");
        await().atMost(LIMIT).until(watch::isWatching);
        delete("smg-0"); // and a change after the reconnect arrives as an event
        awaitPeers("10.0.0.2:39527");
    }
}
