package dev.smg.api.ha;

import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.PeerAddress;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipSettings;
import dev.smg.mesh.runtime.MeshNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;

/** Real mesh nodes on loopback (any free port) with the gateway's namespaces, for the HA tests. */
final class TestMesh {
    private TestMesh() {
    }

    static MeshNode node(String name, List<Integer> seedPorts) {
        return MeshNode.start(new MeshSettings(name, "127.0.0.1", "127.0.0.1", 0,
                seedPorts.stream().map(p -> new PeerAddress("127.0.0.1", p)).toList()), MembershipSettings.DEFAULTS,
                new PrometheusRegistry(), HaNamespaces.ALL);
    }

    /** Waits until every node sees {@code n} ALIVE members. */
    static void awaitAlive(int n, MeshNode... nodes) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (MeshNode node : nodes) {
                if (node.view().count(MemberStatus.ALIVE) != n) {
                    return false;
                }
            }
            return true;
        });
    }
}
