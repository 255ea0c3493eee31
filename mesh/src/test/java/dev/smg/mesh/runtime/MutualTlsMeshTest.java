package dev.smg.mesh.runtime;

import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.MeshTls;
import dev.smg.mesh.PeerAddress;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipSettings;
import dev.smg.mesh.store.DeltaCodec;
import dev.smg.mesh.store.Namespace;
import dev.smg.mesh.tls.ReloadingCredentials;
import dev.smg.mesh.tls.TestPki;
import dev.smg.mesh.tls.TransportSecurity;
import dev.smg.proto.mesh.DeltaBatch;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.MeshGrpc;
import dev.smg.proto.mesh.NamespaceDelta;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mesh nodes with mutual TLS on real loopback sockets. Certificates are made with openssl for each
 * test; they name {@code <node>.mesh.invalid} while nodes dial 127.0.0.1, so every successful
 * handshake here also shows that peers are not held to a host name.
 */
class MutualTlsMeshTest {
    private static final Namespace<GCounter> REQUESTS = new Namespace<>("requests", GCounter.EMPTY);
    private static final Duration FORM = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private TestPki pki;
    private final List<MeshNode> nodes = new ArrayList<>();
    private final Map<MeshNode, PrometheusRegistry> registries = new HashMap<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void pki() {
        pki = new TestPki(dir);
    }

    @AfterEach
    void stop() throws Exception {
        nodes.forEach(MeshNode::close);
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private MeshNode start(String name, List<MeshNode> seeds, Optional<MeshTls> tls) {
        MeshSettings settings = new MeshSettings(name, "127.0.0.1", "127.0.0.1", 0,
                seeds.stream().map(s -> new PeerAddress("127.0.0.1", s.port())).toList(), tls);
        PrometheusRegistry registry = new PrometheusRegistry();
        MeshNode node = MeshNode.start(settings, MembershipSettings.DEFAULTS, registry, List.of(REQUESTS));
        nodes.add(node);
        registries.put(node, registry);
        return node;
    }

    private MeshNode start(String name, List<MeshNode> seeds, MeshTls tls) {
        return start(name, seeds, Optional.of(tls));
    }

    private static boolean allAlive(List<MeshNode> cluster) {
        return cluster.stream().allMatch(n -> n.view().count(MemberStatus.ALIVE) == cluster.size());
    }

    private static long total(MeshNode node) {
        return node.store().snapshot().get(REQUESTS).get("total").map(GCounter::value).orElse(0L);
    }

    private long tlsReloads(MeshNode node, String result) {
        for (MetricSnapshot s : registries.get(node).scrape()) {
            if (s instanceof CounterSnapshot counter && counter.getMetadata().getName().equals("router_mesh_tls_reloads")) {
                return counter.getDataPoints().stream().filter(d -> d.getLabels().get("result").equals(result))
                        .mapToLong(d -> (long) d.getValue()).sum();
            }
        }
        throw new AssertionError("no router_mesh_tls_reloads_total");
    }

    /** A client with the given files, for talking to a mesh port without being a node. */
    private TransportSecurity client(MeshTls files) throws Exception {
        ReloadingCredentials credentials = ReloadingCredentials.watch(files);
        closeables.add(credentials);
        return TransportSecurity.mutualTls(credentials);
    }

    /** One delta of the replicated store, as a peer would push it, under the given origin name. */
    private static Envelope delta(String from, long amount) {
        CrdtMap<String, GCounter> delta = CrdtMap.<String, GCounter>empty()
                .updateDelta(from, "total", GCounter.EMPTY.incrementDelta(from, amount));
        return Envelope.newBuilder().setFrom(from).setFromAddress("127.0.0.1:1")
                .setDeltas(DeltaBatch.newBuilder().setOriginWallMillis(System.currentTimeMillis())
                        .addDeltas(NamespaceDelta.newBuilder().setNamespace(REQUESTS.name())
                                .setDelta(DeltaCodec.encode(delta))))
                .build();
    }

    private static void deliver(NettyChannelBuilder builder, Envelope envelope) {
        ManagedChannel channel = builder.build();
        try {
            MeshGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).deliver(envelope);
        } finally {
            channel.shutdownNow();
        }
    }

    private static void deliver(int port, TransportSecurity security, Envelope envelope) {
        deliver(security.secure(NettyChannelBuilder.forAddress("127.0.0.1", port)), envelope);
    }

    private static void assertRefused(Runnable delivery) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, delivery::run);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    }

    /** The certificate a node's mesh port presents to a new connection right now. */
    private static X509Certificate presented(int port, MeshTls clientFiles) throws Exception {
        try (ReloadingCredentials credentials = ReloadingCredentials.watch(clientFiles)) {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(new KeyManager[] {credentials.keyManager()}, new TrustManager[] {credentials.trustManager()},
                    null);
            try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setApplicationProtocols(new String[] {"h2"});
                socket.setSSLParameters(parameters);
                socket.startHandshake();
                return (X509Certificate) socket.getSession().getPeerCertificates()[0];
            }
        }
    }

    private static BigInteger serialOf(Path certFile) throws Exception {
        try (var in = Files.newInputStream(certFile)) {
            return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in)).getSerialNumber();
        }
    }

    @Test
    void threeNodesFormAClusterOverMutualTlsAndReplicateState() {
        TestPki.Ca ca = pki.ca("cluster");
        MeshNode a = start("a", List.of(), pki.install("a", ca.issue("a"), ca.cert()));
        MeshNode b = start("b", List.of(a), pki.install("b", ca.issue("b"), ca.cert()));
        MeshNode c = start("c", List.of(a), pki.install("c", ca.issue("c"), ca.cert()));
        await().atMost(FORM).until(() -> allAlive(List.of(a, b, c)));
        c.store().update(REQUESTS, "total", g -> g.incrementDelta("c", 7));
        await().atMost(Duration.ofSeconds(10)).until(() -> total(a) == 7 && total(b) == 7);
    }

    @Test
    void aNodeWithASelfSignedCertificateCannotJoinNorDeliverState() throws Exception {
        TestPki.Ca ca = pki.ca("cluster");
        MeshNode a = start("a", List.of(), pki.install("a", ca.issue("a"), ca.cert()));
        MeshNode b = start("b", List.of(a), pki.install("b", ca.issue("b"), ca.cert()));
        await().atMost(FORM).until(() -> allAlive(List.of(a, b)));

        // The intruder trusts the cluster CA (it can check the servers) but has no certificate from it.
        TestPki.Issued self = pki.selfSigned("intruder");
        MeshTls intruderFiles = pki.install("intruder", self, ca.cert(), self.cert());
        MeshNode intruder = start("intruder", List.of(a, b), intruderFiles);
        TransportSecurity intruderClient = client(intruderFiles);
        assertRefused(() -> deliver(a.port(), intruderClient, delta("intruder", 1000)));
        // It keeps trying (every seed, with backoff up to 5 s), and keeps failing.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() ->
                a.view().member("intruder").isEmpty() && b.view().member("intruder").isEmpty()
                        && intruder.view().self().status() == MemberStatus.INIT
                        && intruder.view().members().size() == 1 && total(a) == 0 && total(b) == 0);

        // The same envelope from a holder of a cluster certificate is read: the refusal was the certificate's.
        MeshTls friend = pki.install("friend", ca.issue("friend"), ca.cert());
        deliver(a.port(), client(friend), delta("friend", 5));
        await().atMost(Duration.ofSeconds(5)).until(() -> total(a) == 5);
    }

    @Test
    void aNodeWithoutACertificateIsRefused() throws Exception {
        TestPki.Ca ca = pki.ca("cluster");
        MeshTls aFiles = pki.install("a", ca.issue("a"), ca.cert());
        MeshNode a = start("a", List.of(), aFiles);
        MeshNode plain = start("plain", List.of(a), Optional.empty());

        assertRefused(() -> deliver(NettyChannelBuilder.forAddress("127.0.0.1", a.port()).usePlaintext(),
                delta("plain", 1000)));
        // TLS that checks the server but presents no certificate of its own: the server requires one.
        ReloadingCredentials trustOnly = ReloadingCredentials.watch(aFiles);
        closeables.add(trustOnly);
        var noCertificate = GrpcSslContexts.forClient()
                .trustManager(trustOnly.trustManager()).build();
        assertRefused(() -> deliver(NettyChannelBuilder.forAddress("127.0.0.1", a.port())
                .sslContext(noCertificate), delta("plain", 1000)));

        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() ->
                a.view().member("plain").isEmpty() && plain.view().self().status() == MemberStatus.INIT
                        && total(a) == 0);
    }

    @Test
    void aNewCertificateFromTheSameCaIsPresentedAtTheNextHandshake() throws Exception {
        TestPki.Ca ca = pki.ca("cluster");
        TestPki.Issued first = ca.issue("a");
        MeshTls aFiles = pki.install("a", first, ca.cert());
        MeshNode a = start("a", List.of(), aFiles);
        MeshNode b = start("b", List.of(a), pki.install("b", ca.issue("b"), ca.cert()));
        await().atMost(FORM).until(() -> allAlive(List.of(a, b)));
        MeshTls probe = pki.install("probe", ca.issue("probe"), ca.cert());
        assertEquals(serialOf(first.cert()), presented(a.port(), probe).getSerialNumber());

        TestPki.Issued second = ca.issue("a-renewed");
        TestPki.rotate(aFiles, second, ca.cert());
        await().atMost(Duration.ofSeconds(5)).until(() -> tlsReloads(a, "ok") == 1);
        assertEquals(serialOf(second.cert()), presented(a.port(), probe).getSerialNumber());

        // New connections, both ways, work with the renewed certificate; the old links carry on.
        MeshNode c = start("c", List.of(a), pki.install("c", ca.issue("c"), ca.cert()));
        await().atMost(FORM).until(() -> allAlive(List.of(a, b, c)));
    }

    @Test
    void rotatingTheCaLetsANodeOfTheNewCaJoinAndShutsOutTheOldOne() throws Exception {
        TestPki.Ca oldCa = pki.ca("old");
        TestPki.Ca newCa = pki.ca("new");
        Map<String, MeshTls> files = new HashMap<>();
        Map<String, TestPki.Issued> current = new HashMap<>();
        Map<String, TestPki.Issued> renewed = new HashMap<>();
        for (String name : List.of("a", "b", "c")) {
            current.put(name, oldCa.issue(name));
            renewed.put(name, newCa.issue(name));
            files.put(name, pki.install(name, current.get(name), oldCa.cert()));
        }
        MeshNode a = start("a", List.of(), files.get("a"));
        start("b", List.of(a), files.get("b"));
        start("c", List.of(a), files.get("c"));
        List<MeshNode> cluster = List.copyOf(nodes);
        await().atMost(FORM).until(() -> allAlive(cluster));

        // The order that never splits the cluster: trust both CAs, then swap the certificates, then
        // drop the old CA. Each step is waited for on every node, as an operator would.
        List<Runnable> steps = List.of(
                () -> files.forEach((n, f) -> TestPki.rotate(f, current.get(n), oldCa.cert(), newCa.cert())),
                () -> files.forEach((n, f) -> TestPki.rotate(f, renewed.get(n), oldCa.cert(), newCa.cert())),
                () -> files.forEach((n, f) -> TestPki.rotate(f, renewed.get(n), newCa.cert())));
        for (int i = 0; i < steps.size(); i++) {
            steps.get(i).run();
            long done = i + 1;
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    cluster.stream().allMatch(n -> tlsReloads(n, "ok") == done));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> allAlive(cluster));

        MeshTls newProbe = pki.install("new-probe", newCa.issue("new-probe"), newCa.cert());
        assertEquals(serialOf(renewed.get("a").cert()), presented(a.port(), newProbe).getSerialNumber());
        MeshNode d = start("d", List.of(a), pki.install("d", newCa.issue("d"), newCa.cert()));
        await().atMost(FORM).until(() -> allAlive(nodes));
        // A certificate of the old CA no longer gets in.
        TransportSecurity oldProbe = client(pki.install("old-probe", oldCa.issue("old-probe"), oldCa.cert()));
        assertRefused(() -> deliver(d.port(), oldProbe, delta("old-probe", 1000)));
        assertRefused(() -> deliver(a.port(), oldProbe, delta("old-probe", 1000)));
        assertEquals(0, total(a));
    }

    @Test
    void filesThatCannotBeUsedAreRefusedOnceAndTheOldMaterialStays() throws Exception {
        List<LogRecord> warnings = new CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger(ReloadingCredentials.class.getName());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        closeables.add(() -> logger.removeHandler(capture));

        TestPki.Ca ca = pki.ca("cluster");
        TestPki.Issued first = ca.issue("a");
        MeshTls aFiles = pki.install("a", first, ca.cert());
        MeshNode a = start("a", List.of(), aFiles);
        // A certificate whose key is not the one beside it: both files parse, the pair is unusable.
        TestPki.Issued other = ca.issue("other");
        TestPki.rotate(aFiles, new TestPki.Issued(other.cert(), first.key()), ca.cert());
        await().atMost(Duration.ofSeconds(5)).until(() -> tlsReloads(a, "refused") == 1);
        // Polled many times more, reported once.
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2)).until(() -> warnings.size() == 1);
        String line = warnings.get(0).getMessage() + " " + List.of(warnings.get(0).getParameters());
        assertTrue(line.contains("is not the private key of the certificate"), line);
        assertFalse(line.contains("PRIVATE KEY") || line.contains(Files.readString(first.key()).lines().skip(1)
                .findFirst().orElseThrow()), "no key material in the log: " + line);
        assertEquals(0, tlsReloads(a, "ok"));

        MeshTls probe = pki.install("probe", ca.issue("probe"), ca.cert());
        assertEquals(serialOf(first.cert()), presented(a.port(), probe).getSerialNumber());
        MeshNode b = start("b", List.of(a), pki.install("b", ca.issue("b"), ca.cert()));
        await().atMost(FORM).until(() -> allAlive(List.of(a, b)));
    }
}
