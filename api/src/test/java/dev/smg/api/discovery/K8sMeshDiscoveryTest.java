package dev.smg.api.discovery;

import dev.smg.api.config.DiscoveryConfig;
import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipSettings;
import dev.smg.mesh.runtime.MeshNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.smg.api.discovery.FakeApiServer.NAMESPACE;
import static dev.smg.api.discovery.FakeApiServer.routerPod;
import static dev.smg.api.discovery.FakeApiServer.running;
import static org.awaitility.Awaitility.await;

/**
 * Real mesh nodes on loopback, started without any seed, that find each other only through router
 * pods listed by a fake API server (pod IP 127.0.0.1, mesh port in the annotation).
 */
class K8sMeshDiscoveryTest {
    private static final Duration FORM = Duration.ofSeconds(20);
    private static final DiscoveryConfig CONFIG = new DiscoveryConfig(Map.of("app", "smg"), Optional.of(NAMESPACE),
            DiscoveryConfig.DEFAULT_PORT_ANNOTATION);

    private final FakeApiServer api = new FakeApiServer();
    private final KubernetesClient admin = api.client();
    private final Map<String, MeshNode> nodes = new LinkedHashMap<>();
    private final Map<String, PrometheusRegistry> registries = new LinkedHashMap<>();
    private final List<MeshDiscovery> discoveries = new ArrayList<>();

    @AfterEach
    void stop() {
        discoveries.forEach(MeshDiscovery::close);
        nodes.values().forEach(MeshNode::close);
        admin.close();
        api.close();
    }

    /** A seedless node with discovery, and its pod (as the kubelet would report it once Running). */
    private MeshNode start(String name) {
        MeshSettings settings = new MeshSettings(name, "127.0.0.1", "127.0.0.1", 0, List.of());
        PrometheusRegistry registry = new PrometheusRegistry();
        MeshNode node = MeshNode.start(settings, MembershipSettings.DEFAULTS, registry);
        nodes.put(name, node);
        registries.put(name, registry);
        discoveries.add(MeshDiscovery.start(api.client(), CONFIG, settings.withPort(node.port()), node, registry));
        admin.pods().inNamespace(NAMESPACE).resource(running(routerPod(name).editMetadata()
                .addToAnnotations(DiscoveryConfig.DEFAULT_PORT_ANNOTATION, String.valueOf(node.port())).endMetadata(),
                "127.0.0.1", true)).create();
        return node;
    }

    private boolean allSeeAlive(int n) {
        return nodes.values().stream().allMatch(node -> node.view().count(MemberStatus.ALIVE) == n);
    }

    private double discoveredPeers(String node) {
        return gauge(node, "router_mesh_discovered_peers");
    }

    private double gauge(String node, String name) {
        return registries.get(node).scrape().stream()
                .filter(s -> s.getMetadata().getName().equals(name))
                .map(s -> ((GaugeSnapshot) s).getDataPoints().get(0).getValue())
                .findFirst().orElseThrow();
    }

    @Test
    void nodesWithoutSeedsFormOneClusterThroughThePodList() {
        start("smg-0");
        start("smg-1");
        start("smg-2");
        await().atMost(FORM).until(() -> allSeeAlive(3));
        await().atMost(FORM).until(() -> discoveredPeers("smg-0") == 2);
        await().atMost(FORM).until(() -> gauge("smg-0", "router_mesh_discovery_watching") == 1);

        start("smg-3"); // a scale-up: the new pod is joined as soon as it is listed
        await().atMost(FORM).until(() -> allSeeAlive(4));

        // The API server drops smg-3's pod while its router still answers: it stays ALIVE.
        admin.pods().inNamespace(NAMESPACE).withName("smg-3").delete();
        await().atMost(FORM).until(() -> discoveredPeers("smg-0") == 2);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> allSeeAlive(4)); // discovery never declares a member DOWN
        // Once it really stops answering, SWIM declares it DOWN.
        nodes.remove("smg-3").close();
        await().atMost(FORM).until(() -> nodes.values().stream().allMatch(node ->
                node.view().member("smg-3").map(m -> m.status() == MemberStatus.DOWN).orElse(false)));
    }
}
