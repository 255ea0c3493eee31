package dev.smg.mesh.runtime;

import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.PeerAddress;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipSettings;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.MemberState;
import dev.smg.proto.mesh.MeshGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real mesh nodes over gRPC on loopback sockets, in one JVM. */
class GrpcMeshTest {
    private final List<MeshNode> nodes = new ArrayList<>();
    private final List<PrometheusRegistry> registries = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(MeshNode::close);
    }

    private MeshNode start(String name, int port, List<Integer> seeds) {
        return start(name, port, seeds, List.of());
    }

    private MeshNode start(String name, int port, List<Integer> seeds, List<dev.smg.mesh.store.Namespace<?>> namespaces) {
        MeshSettings settings = new MeshSettings(name, "127.0.0.1", "127.0.0.1", port,
                seeds.stream().map(p -> new PeerAddress("127.0.0.1", p)).toList());
        PrometheusRegistry registry = new PrometheusRegistry();
        registries.add(registry);
        MeshNode node = MeshNode.start(settings, MembershipSettings.DEFAULTS, registry, namespaces);
        nodes.add(node);
        return node;
    }

    private static boolean allAlive(List<MeshNode> nodes, int n) {
        return nodes.stream().allMatch(node -> node.view().count(MemberStatus.ALIVE) == n);
    }

    @Test
    void threeNodesFormACrashIsDetectedAndARestartRejoins() throws Exception {
        MeshNode a = start("a", 0, List.of());
        int p1 = a.port();
        MeshNode b = start("b", 0, List.of(p1));
        MeshNode c = start("c", 0, List.of(p1));
        int p3 = c.port();
        await().atMost(Duration.ofSeconds(20)).until(() -> allAlive(List.of(a, b, c), 3));

        c.close(); // stops answering, no leave: a crash as far as the others can tell
        nodes.remove(c);
        await().atMost(Duration.ofSeconds(20)).until(() ->
                a.view().member("c").orElseThrow().status() == MemberStatus.DOWN
                        && b.view().member("c").orElseThrow().status() == MemberStatus.DOWN);

        MeshNode c2 = start("c", p3, List.of(p1));
        await().atMost(Duration.ofSeconds(20)).until(() -> allAlive(List.of(a, b, c2), 3));
        assertTrue(a.view().member("c").orElseThrow().incarnation() > 1, "the restarted node refuted its DOWN");
    }

    /** One gauge line's value, e.g. {@code router_mesh_leader 1.0}. */
    private static double gauge(PrometheusRegistry registry, String name) {
        return exposition(registry).lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(name.length() + 1).trim())).orElse(Double.NaN);
    }

    @Test
    void everyNodeExportsItsQuorumAndExactlyOneTheLeadersOne() {
        MeshNode a = start("a", 0, List.of());
        MeshNode b = start("b", 0, List.of(a.port()));
        MeshNode c = start("c", 0, List.of(a.port()));
        await().atMost(Duration.ofSeconds(20)).until(() -> allAlive(List.of(a, b, c), 3));
        for (PrometheusRegistry registry : registries) {
            assertEquals(1.0, gauge(registry, "router_mesh_quorum"));
        }
        // The leader is the ALIVE member with the smallest name: a.
        assertEquals(List.of(1.0, 0.0, 0.0), registries.stream().map(r -> gauge(r, "router_mesh_leader")).toList());

        b.close(); // two of three gone: a alone sees no quorum, and leads nothing
        c.close();
        nodes.removeAll(List.of(b, c));
        await().atMost(Duration.ofSeconds(30)).until(() -> gauge(registries.get(0), "router_mesh_quorum") == 0.0);
        assertEquals(0.0, gauge(registries.get(0), "router_mesh_leader"));
    }

    @Test
    void seedlessNodesHandedEachOthersAddressByDiscoveryFormOneCluster() {
        MeshNode a = start("a", 0, List.of());
        MeshNode b = start("b", 0, List.of());
        MeshNode c = start("c", 0, List.of());
        // Only a learns of the others (and of itself, which it skips); the rest is SWIM.
        a.setDiscoveredPeers(java.util.Set.of(new PeerAddress("127.0.0.1", a.port()),
                new PeerAddress("127.0.0.1", b.port()), new PeerAddress("127.0.0.1", c.port())));
        await().atMost(Duration.ofSeconds(10)).until(() -> allAlive(List.of(a, b, c), 3));
    }

    private static String exposition(PrometheusRegistry registry) {
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        try {
            io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create().write(text,
                    registry.scrape(), io.prometheus.metrics.config.EscapingScheme.UNDERSCORE_ESCAPING);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return text.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Whether the node behind {@code registry} has ever declared a member DOWN. */
    private static boolean declaredSomeoneDown(PrometheusRegistry registry) {
        return exposition(registry).lines().anyMatch(l -> l.startsWith("router_mesh_status_changes_total{status=\"down\"}"));
    }

    @Test
    void aPeerStartedLongAfterTheFirstNodeIsNotTakenForDead() throws Exception {
        int late;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            late = probe.getLocalPort();
        }
        MeshNode a = start("a", 0, List.of(late));
        // a's attempts to reach its seed fail for a while, so its channel there is in gRPC's reconnect
        // backoff (1 s growing x1.6) when b arrives: the time passing is the point of this wait.
        await().pollDelay(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(11)).until(() -> true);
        MeshNode b = start("b", late, List.of(a.port()));
        await().atMost(Duration.ofSeconds(20)).until(() -> allAlive(List.of(a, b), 2));
        // Heard from b, a reconnects at once: it never probes b into DOWN through a channel still
        // backing off (it did before, and b had to refute its way back in).
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> allAlive(List.of(a, b), 2) && !declaredSomeoneDown(registries.get(0)));
    }

    @Test
    void aLocalWriteIsPushedToEveryPeerAsADelta() {
        dev.smg.mesh.store.Namespace<dev.smg.mesh.crdt.GCounter> requests =
                new dev.smg.mesh.store.Namespace<>("requests", dev.smg.mesh.crdt.GCounter.EMPTY);
        List<dev.smg.mesh.store.Namespace<?>> namespaces = List.of(requests);
        MeshNode a = start("a", 0, List.of(), namespaces);
        MeshNode b = start("b", 0, List.of(a.port()), namespaces);
        MeshNode c = start("c", 0, List.of(a.port()), namespaces);
        await().atMost(Duration.ofSeconds(20)).until(() -> allAlive(List.of(a, b, c), 3));
        for (MeshNode writer : List.of(a, b, c)) {
            for (int i = 0; i < 10; i++) {
                writer.store().update(requests, "total", g -> g.incrementDelta(writer.name(), 1));
            }
        }
        for (MeshNode node : List.of(a, b, c)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> node.store().snapshot().get(requests).get("total")
                    .map(dev.smg.mesh.crdt.GCounter::value).orElse(0L) == 30L);
        }
        // The seed's metric names, with direction and peer.
        String exposition = exposition(registries.get(0));
        for (String expected : List.of("router_mesh_batches_total{direction=\"sent\",peer=\"b\"}",
                "router_mesh_batches_total{direction=\"received\",peer=\"b\"}", "router_mesh_bytes_total",
                "router_mesh_convergence_ms_count", "router_mesh_snapshot_trigger_total")) {
            assertTrue(exposition.contains(expected), expected + " missing from\n" + exposition);
        }
    }

    @Test
    void aNodeThatJoinsLateCatchesUpThroughAntiEntropy() {
        dev.smg.mesh.store.Namespace<dev.smg.mesh.crdt.GCounter> requests =
                new dev.smg.mesh.store.Namespace<>("requests", dev.smg.mesh.crdt.GCounter.EMPTY);
        List<dev.smg.mesh.store.Namespace<?>> namespaces = List.of(requests);
        MeshNode a = start("a", 0, List.of(), namespaces);
        for (int i = 0; i < 5; i++) {
            a.store().update(requests, "total", g -> g.incrementDelta("a", 1)); // pushed to nobody: a is alone
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> a.store().snapshot().size(requests) == 1);
        MeshNode late = start("late", 0, List.of(a.port()), namespaces);
        await().atMost(Duration.ofSeconds(20)).until(() -> late.store().snapshot().get(requests).get("total")
                .map(dev.smg.mesh.crdt.GCounter::value).orElse(0L) == 5L);
    }

    @Test
    void gracefulLeaveReachesEveryPeer() throws Exception {
        MeshNode a = start("a", 0, List.of());
        MeshNode b = start("b", 0, List.of(a.port()));
        MeshNode c = start("c", 0, List.of(a.port()));
        await().atMost(Duration.ofSeconds(20)).until(() -> allAlive(List.of(a, b, c), 3));
        c.leave(Duration.ofSeconds(5));
        // leave() returns once every peer acknowledged: no waiting needed here.
        assertEquals(MemberStatus.LEAVING, a.view().member("c").orElseThrow().status());
        assertEquals(MemberStatus.LEAVING, b.view().member("c").orElseThrow().status());
    }

    @Test
    void garbageAndOversizedAndMalformedInputCannotHurtANode() throws Exception {
        MeshNode a = start("a", 0, List.of());
        int p1 = a.port();
        MeshNode b = start("b", 0, List.of(p1));
        await().atMost(Duration.ofSeconds(20)).until(() -> allAlive(List.of(a, b), 2));

        // Raw garbage on the mesh port: not HTTP/2, so the connection is dropped.
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), p1)) {
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100).getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[64 * 1024]);
            out.flush();
            socket.setSoTimeout(5000);
            socket.getInputStream().readAllBytes(); // returns when the server has closed the connection
        } catch (java.net.SocketException expected) {
            // reset by the server: also fine
        }

        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", p1).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
        try {
            MeshGrpc.MeshBlockingStub stub = MeshGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
            // Over the 4 MiB frame cap.
            Envelope huge = Envelope.newBuilder().setFrom("x").setFromAddress("127.0.0.1:1")
                    .addPiggyback(MemberState.newBuilder().setName("y".repeat(5 * 1024 * 1024))).build();
            assertThrows(StatusRuntimeException.class, () -> stub.deliver(huge));
            // Well-formed protobuf, unacceptable content.
            Envelope malformed = Envelope.newBuilder().setFrom("").setFromAddress("nonsense").build();
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                    () -> MeshGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).deliver(malformed));
            assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
        } finally {
            channel.shutdownNow();
        }
        // The node is unharmed and still in the cluster.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> allAlive(List.of(a, b), 2));
    }
}
