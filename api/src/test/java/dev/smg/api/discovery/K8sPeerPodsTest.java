package dev.smg.api.discovery;

import dev.smg.mesh.PeerAddress;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.smg.api.discovery.FakeApiServer.pending;
import static dev.smg.api.discovery.FakeApiServer.routerPod;
import static dev.smg.api.discovery.FakeApiServer.running;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The pod-to-peer rule and the namespace default, without a server. */
class K8sPeerPodsTest {
    private final MeshPeerPods rule = new MeshPeerPods("sglang.ai/mesh-port", 39527, Set.of("smg-0", "pod-env-name"),
            new PeerAddress("10.0.0.10", 39527));

    private Set<String> peers(Pod... pods) {
        return rule.select(List.of(pods)).peers().stream().map(PeerAddress::toString)
                .collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void runningWithAnIpCountsReadyOrNot() {
        assertEquals(Set.of("10.0.0.1:39527", "10.0.0.2:39527"),
                peers(running(routerPod("a"), "10.0.0.1", true), running(routerPod("b"), "10.0.0.2", false)));
    }

    @Test
    void pendingTerminatingOrIpLessPodsDoNot() {
        Pod terminating = running(routerPod("t").editMetadata().withDeletionTimestamp("2026-11-26T00:00:00Z")
                .endMetadata(), "10.0.0.3", true);
        Pod noIp = running(routerPod("n"), "", true);
        Pod failed = routerPod("f").withNewStatus().withPhase("Failed").withPodIP("10.0.0.4").endStatus().build();
        assertEquals(Set.of(), peers(pending(routerPod("p")), terminating, noIp, failed, routerPod("bare").build()));
    }

    @Test
    void thisNodeIsLeftOutByEitherNameOrAddress() {
        assertEquals(Set.of("10.0.0.10:7000"), peers(
                running(routerPod("smg-0"), "10.0.0.11", true), // --mesh-server-name
                running(routerPod("pod-env-name"), "10.0.0.12", true), // POD_NAME
                running(routerPod("renamed"), "10.0.0.10", true), // our advertised address
                // Same IP, other port: a second router on a host-network node is someone else.
                running(routerPod("neighbour").editMetadata().addToAnnotations("sglang.ai/mesh-port", "7000")
                        .endMetadata(), "10.0.0.10", true)));
    }

    @Test
    void theAnnotationSetsThePortAndABadOneIsRefusedNotGuessed() {
        MeshPeerPods.Selection s = rule.select(List.of(
                running(routerPod("a").editMetadata().addToAnnotations("sglang.ai/mesh-port", " 7100 ").endMetadata(),
                        "10.0.0.1", true),
                running(routerPod("b").editMetadata().addToAnnotations("sglang.ai/mesh-port", "70000").endMetadata(),
                        "10.0.0.2", true),
                running(routerPod("c").editMetadata().addToAnnotations("other/port", "1").endMetadata(),
                        "10.0.0.3", true)));
        assertEquals(Set.of(PeerAddress.parse("10.0.0.1:7100"), PeerAddress.parse("10.0.0.3:39527")), s.peers());
        assertEquals(Set.of("b"), s.refused().keySet());
    }

    @Test
    void ipv6PodIpsBecomeBracketedAddresses() {
        assertEquals(Set.of("[fd00::1]:39527"), peers(running(routerPod("v6"), "fd00::1", true)));
    }

    @Test
    void theNamespaceDefaultsToThePodsOwnThenTheKubeconfigsThenDefault() throws Exception {
        Path file = Files.createTempFile("namespace", "");
        try {
            Files.writeString(file, "routers\n");
            assertEquals("given", PodNamespace.resolve(Optional.of("given"), file, "ctx"));
            assertEquals("routers", PodNamespace.resolve(Optional.empty(), file, "ctx"));
            Path missing = file.resolveSibling("no-such-namespace-file");
            assertEquals("ctx", PodNamespace.resolve(Optional.empty(), missing, "ctx"));
            assertEquals("default", PodNamespace.resolve(Optional.empty(), missing, null));
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void selectorsFollowKubernetesLabelSyntax() {
        assertEquals(Map.of("app", "smg", "app.kubernetes.io/part-of", "smg", "empty", ""),
                KubernetesNames.parseSelector(List.of("app=smg", "app.kubernetes.io/part-of=smg", "empty=", "app=smg")));
        for (String bad : List.of("app", "=smg", "-app=smg", "app=sm g", "app=" + "x".repeat(64), "Bad_Prefix/app=x",
                "app==smg")) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> KubernetesNames.parseSelector(List.of(bad)), bad);
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> KubernetesNames.parseSelector(List.of("app=a", "app=b")));
    }
}
