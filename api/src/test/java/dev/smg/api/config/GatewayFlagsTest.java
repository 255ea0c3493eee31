package dev.smg.api.config;

import dev.smg.api.cli.CliException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayFlagsTest {
    private static GatewayConfig parse(String... args) {
        return GatewayFlags.parse(args);
    }

    @Test
    void defaultsMatchUpstream() {
        GatewayConfig c = parse();
        assertEquals("0.0.0.0", c.host());
        assertEquals(30000, c.port());
        assertEquals("info", c.logLevel());
        assertTrue(c.mesh().isEmpty());
        assertTrue(c.warnings().isEmpty());
        assertEquals("cache_aware", c.routing().policy());
        assertEquals(0.3, c.routing().cacheAware().cacheThreshold());
        assertEquals(64, c.routing().cacheAware().balanceAbs());
        assertEquals(1.5, c.routing().cacheAware().balanceRel());
        assertEquals(67_108_864L, c.routing().maxTreeChars());
        assertEquals(120, c.routing().evictionInterval().toSeconds());
        assertEquals(-1, c.admission().maxConcurrent());
        assertEquals(100, c.admission().queueSize());
    }

    @Test
    void policyParametersAreValidated() {
        for (String[] bad : new String[][] {{"--cache-threshold", "1.5"}, {"--balance-rel-threshold", "0.5"},
                {"--max-tree-size", "0"}, {"--eviction-interval-secs", "0"}, {"--assignment-mode", "best"},
                {"--model-policy", "llama"}, {"--model-policy", "llama=fastest"}, {"--queue-timeout-secs", "0"},
                {"--rate-limit-tokens-per-second", "-1"}}) {
            CliException e = assertThrows(CliException.class, () -> parse(bad));
            assertTrue(e.getMessage().startsWith(bad[0]), e.getMessage());
        }
        GatewayConfig c = parse("--model-policy", "llama=manual", "qwen=consistent_hash", "--eviction-interval", "30");
        assertEquals(java.util.Map.of("llama", "manual", "qwen", "consistent_hash"), c.routing().modelPolicies());
        assertEquals(30, c.routing().evictionInterval().toSeconds());
    }

    @Test
    void workerUrlsAcceptSpaceSeparatedAndRepeatedValues() {
        GatewayConfig c = parse("--worker-urls", "http://a:1 http://b:2", "--worker-urls", "http://c:3");
        assertEquals(List.of("http://a:1", "http://b:2", "http://c:3"),
                c.workers().stream().map(w -> w.url().toString()).toList());
        assertThrows(CliException.class, () -> parse("--worker-urls", "http://a:1", "http://a:1/"));
        assertTrue(assertThrows(CliException.class, () -> parse("--worker-urls", "ftp://a"))
                .getMessage().startsWith("--worker-urls:"));
    }

    @Test
    void loadMonitoringAndTheLoadScoreHaveDefaultsAndBounds() {
        LoadConfig d = parse().load();
        assertEquals(java.time.Duration.ofMillis(500), d.monitorInterval());
        assertEquals(java.time.Duration.ofMillis(1000), d.monitorTimeout());
        assertEquals(dev.smg.router.load.LoadScore.DEFAULTS, d.score());
        assertTrue(d.sync());
        assertEquals(java.time.Duration.ofMillis(1500), d.engineStaleAfter());
        LoadConfig c = parse("--load-monitor-interval", "2", "--load-queue-weight", "0", "--load-kv-weight", "3",
                "--disable-load-sync").load();
        assertEquals(java.time.Duration.ofSeconds(2), c.monitorInterval());
        assertEquals(java.time.Duration.ofSeconds(6), c.engineStaleAfter());
        assertEquals(new dev.smg.router.load.LoadScore(0, 3), c.score());
        assertFalse(c.sync());
        assertTrue(parse("--load-monitor-interval", "0").load().monitorInterval().isZero());
        for (String[] bad : new String[][] {{"--load-monitor-interval", "0.01"}, {"--load-monitor-interval", "-1"},
                {"--load-kv-weight", "-0.5"}, {"--load-queue-weight", "NaN"}, {"--load-monitor-timeout-ms", "1"}}) {
            CliException e = assertThrows(CliException.class, () -> parse(bad), String.join(" ", bad));
            assertTrue(e.getMessage().startsWith(bad[0]), e.getMessage());
        }
    }

    @Test
    void streamFailoverIsOnByDefaultWithoutAFirstTokenDeadline() {
        dev.smg.router.stream.StreamFailoverSettings d = parse().streams();
        assertEquals(dev.smg.router.stream.StreamFailoverSettings.DEFAULTS, d);
        assertTrue(d.migrate() && d.watchesStreams());
        assertTrue(d.firstTokenTimeout("any").isZero());
        dev.smg.router.stream.StreamFailoverSettings c = parse("--first-token-timeout-secs", "2.5",
                "--model-first-token-timeout", "big=60", "--model-first-token-timeout", "small=0",
                "--stream-stall-timeout-secs", "10", "--stream-migration-limit", "1", "--disable-stream-failover")
                .streams();
        assertFalse(c.migrate());
        assertTrue(c.watchesStreams(), "a first-token deadline still needs the event relay");
        assertEquals(java.time.Duration.ofMillis(2500), c.firstTokenTimeout("other"));
        assertEquals(java.time.Duration.ofSeconds(60), c.firstTokenTimeout("big"));
        assertTrue(c.firstTokenTimeout("small").isZero());
        assertEquals(java.time.Duration.ofSeconds(10), c.stallTimeout());
        assertEquals(1, c.migrationLimit());
        assertFalse(parse("--disable-stream-failover").streams().watchesStreams(), "the byte relay of before");
        assertTrue(parse().generationMetrics());
        assertFalse(parse("--disable-generation-metrics").generationMetrics());
        for (String[] bad : new String[][] {{"--first-token-timeout-secs", "-1"}, {"--stream-stall-timeout-secs", "0"},
                {"--stream-migration-limit", "-1"}, {"--model-first-token-timeout", "big"},
                {"--model-first-token-timeout", "=5"}, {"--model-first-token-timeout", "big=soon"},
                {"--model-first-token-timeout", "big=-2"}}) {
            CliException e = assertThrows(CliException.class, () -> parse(bad), String.join(" ", bad));
            assertTrue(e.getMessage().startsWith(bad[0]), e.getMessage());
        }
    }

    @Test
    void tracingIsOffByDefaultAndItsEndpointIsAUrlOrHostPort() {
        assertEquals(TracingConfig.OFF, parse().tracing());
        assertEquals(new TracingConfig(true, java.util.Optional.empty()), parse("--enable-trace").tracing());
        assertEquals(java.util.Optional.of("http://collector:4317"),
                parse("--enable-trace", "--otlp-traces-endpoint", "collector:4317").tracing().otlpEndpoint());
        assertEquals(java.util.Optional.of("https://otel.example:4318/v1/traces"), parse("--enable-trace",
                "--otlp-traces-endpoint", "https://otel.example:4318/v1/traces").tracing().otlpEndpoint());
        for (String bad : List.of("ftp://collector:21", "http://", "not a url")) {
            CliException e = assertThrows(CliException.class,
                    () -> parse("--enable-trace", "--otlp-traces-endpoint", bad));
            assertEquals("--otlp-traces-endpoint: '" + bad + "' is not host:port or an http(s) URL", e.getMessage());
        }
        assertTrue(parse("--otlp-traces-endpoint", "collector:4317").warnings()
                .contains("--otlp-traces-endpoint has no effect without --enable-trace"));
    }

    @Test
    void workerUrlsTakeAWeightAfterAComma() {
        GatewayConfig c = parse("--worker-urls", "http://a:1,weight=3", "http://b:2", "b:3,weight=1000");
        assertEquals(List.of("http://a:1=3", "http://b:2=1", "http://b:3=1000"),
                c.workers().stream().map(w -> w.url() + "=" + w.weight()).toList());
        assertThrows(CliException.class, () -> parse("--worker-urls", "http://a:1,weight=2", "http://a:1,weight=3"));
    }

    @Test
    void badWorkerOptionsRefuseTheStartNamingFlagAndValue() {
        java.util.Map<String, String> refusals = java.util.Map.of(
                "http://a:1,weight=0", "weight must be an integer from 1 to 1000, got 0",
                "http://a:1,weight=1001", "weight must be an integer from 1 to 1000, got 1001",
                "http://a:1,weight=-2", "weight must be an integer from 1 to 1000, got -2",
                "http://a:1,weight=x", "weight must be an integer from 1 to 1000, got 'x'",
                "http://a:1,weight=", "weight must be an integer from 1 to 1000, got ''",
                "http://a:1,weight=99999999999", "weight must be an integer from 1 to 1000, got '99999999999'",
                "http://a:1,weight=2,weight=3", "weight is given twice",
                "http://a:1,zone=a", "unknown option 'zone=a' (the options are: weight=N)",
                "http://a:1,", "unknown option '' (the options are: weight=N)");
        refusals.forEach((value, reason) -> {
            CliException e = assertThrows(CliException.class, () -> parse("--worker-urls", value));
            assertEquals("--worker-urls: '" + value + "': " + reason, e.getMessage());
        });
    }

    @Test
    void meshOnUnspecifiedAddressWithoutAdvertiseHostRefusesToStart() {
        CliException e = assertThrows(CliException.class, () -> parse("--enable-mesh", "--mesh-host", "0.0.0.0"));
        assertTrue(e.getMessage().contains("--mesh-advertise-host"), e.getMessage());
        assertThrows(CliException.class, () -> parse("--enable-mesh"));
        assertThrows(CliException.class, () -> parse("--enable-mesh", "--mesh-host", "::"));
    }

    @Test
    void meshSettingsFollowTheSeedsDefaults() {
        GatewayConfig c = parse("--enable-mesh", "--mesh-advertise-host", "10.0.0.11", "--mesh-peer-urls",
                "10.0.0.12:39527", "smg-0.smg-mesh:39527");
        var mesh = c.mesh().orElseThrow();
        assertEquals(39527, mesh.port());
        assertEquals("0.0.0.0", mesh.bindHost());
        assertEquals("10.0.0.11", mesh.advertiseHost());
        assertTrue(mesh.serverName().matches("Mesh_[A-Za-z0-9]{4}"));
        assertEquals(2, mesh.seeds().size());
        // A routable bind address is its own advertise address.
        assertEquals("127.0.0.1", parse("--enable-mesh", "--mesh-host", "127.0.0.1").mesh().orElseThrow()
                .advertiseHost());
    }

    @Test
    void badMeshValuesNameTheirFlag() {
        assertTrue(assertThrows(CliException.class, () -> parse("--enable-mesh", "--mesh-host", "127.0.0.1",
                "--mesh-server-name", "a:b")).getMessage().startsWith("--mesh-server-name"));
        assertTrue(assertThrows(CliException.class, () -> parse("--mesh-peer-urls", "nohost"))
                .getMessage().startsWith("--mesh-peer-urls"));
        assertTrue(assertThrows(CliException.class, () -> parse("--mesh-port", "0"))
                .getMessage().startsWith("--mesh-port"));
        assertTrue(assertThrows(CliException.class, () -> parse("--router-selector", "app"))
                .getMessage().startsWith("--router-selector"));
        assertTrue(assertThrows(CliException.class, () -> parse("--policy", "fastest"))
                .getMessage().startsWith("--policy"));
    }

    @Test
    void meshOnlyFlagsWithoutTheMeshAreAnnouncedNotIgnored() {
        assertFalse(parse("--mesh-port", "1").warnings().isEmpty());
        assertTrue(parse("--enable-mesh", "--mesh-host", "127.0.0.1").warnings().stream()
                .noneMatch(w -> w.contains("--enable-mesh")));
    }

    @Test
    void clusterRateLimitNeedsTheMesh() {
        assertTrue(assertThrows(CliException.class, () -> parse("--cluster-rate-limit",
                "--rate-limit-tokens-per-second", "10")).getMessage().startsWith("--cluster-rate-limit"));
        GatewayConfig c = parse("--enable-mesh", "--mesh-host", "127.0.0.1", "--cluster-rate-limit",
                "--rate-limit-tokens-per-second", "10");
        assertTrue(c.admission().clusterWide());
        assertTrue(assertThrows(CliException.class, () -> parse("--cluster-max-concurrent-requests", "10"))
                .getMessage().startsWith("--cluster-max-concurrent-requests"));
        assertEquals(10, parse("--enable-mesh", "--mesh-host", "127.0.0.1", "--cluster-max-concurrent-requests", "10")
                .admission().clusterMaxConcurrent());
    }

    @Test
    void meshTlsFlagsAreAllThreeOrNone() {
        String[] base = {"--enable-mesh", "--mesh-host", "127.0.0.1"};
        CliException e = assertThrows(CliException.class, () -> parse(concat(base,
                "--mesh-tls-cert", "node.pem", "--mesh-tls-key", "node.key")));
        assertEquals("--mesh-tls-ca is missing: mutual TLS on the mesh port needs --mesh-tls-cert, --mesh-tls-key"
                + " and --mesh-tls-ca together (or none of them for plaintext)", e.getMessage());
        e = assertThrows(CliException.class, () -> parse(concat(base, "--mesh-tls-ca", "ca.pem")));
        assertTrue(e.getMessage().startsWith("--mesh-tls-cert and --mesh-tls-key are missing:"), e.getMessage());
        e = assertThrows(CliException.class, () -> parse(concat(base,
                "--mesh-tls-cert", "node.pem", "--mesh-tls-ca", "ca.pem")));
        assertTrue(e.getMessage().startsWith("--mesh-tls-key is missing:"), e.getMessage());
        // Without the mesh they do nothing, and are said to do nothing.
        assertTrue(parse("--mesh-tls-cert", "node.pem").warnings().stream()
                .anyMatch(w -> w.startsWith("--mesh-tls-cert has no effect without --enable-mesh")));
    }

    @Test
    void meshTlsFilesMustExistAndAgreeAtStart(@TempDir Path dir) throws Exception {
        openssl(dir, "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test CA");
        openssl(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
                "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=node1");
        openssl(dir, "x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "7",
                "-days", "2", "-out", "node.pem");
        openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key");
        String cert = dir.resolve("node.pem").toString();
        String key = dir.resolve("node.key").toString();
        String ca = dir.resolve("ca.pem").toString();

        GatewayConfig ok = parse(tls(cert, key, ca));
        var files = ok.mesh().orElseThrow().tls().orElseThrow();
        assertEquals(Path.of(key), files.key());
        assertTrue(ok.warnings().stream().noneMatch(w -> w.contains("unauthenticated")), ok.warnings().toString());

        String missing = dir.resolve("missing.pem").toString();
        assertEquals("--mesh-tls-cert: " + missing + " does not exist",
                assertThrows(CliException.class, () -> parse(tls(missing, key, ca))).getMessage());
        String other = dir.resolve("other.key").toString();
        assertEquals("--mesh-tls-key: " + other + " is not the private key of the certificate in " + cert,
                assertThrows(CliException.class, () -> parse(tls(cert, other, ca))).getMessage());
        assertTrue(assertThrows(CliException.class, () -> parse(tls(cert, key, key))).getMessage()
                .startsWith("--mesh-tls-ca: " + key + " holds no PEM certificate"));
        assertEquals("--mesh-tls-cert: must name a file",
                assertThrows(CliException.class, () -> parse(tls(" ", key, ca))).getMessage());
    }

    @Test
    void aPlaintextMeshIsAnnouncedAsUnauthenticated() {
        List<String> warnings = parse("--enable-mesh", "--mesh-host", "127.0.0.1").warnings();
        assertEquals(1, warnings.stream().filter(w -> w.contains("unauthenticated")).count(), warnings.toString());
        assertTrue(parse().warnings().isEmpty());
    }

    private static String[] tls(String cert, String key, String ca) {
        return new String[] {"--enable-mesh", "--mesh-host", "127.0.0.1", "--mesh-tls-cert", cert,
                "--mesh-tls-key", key, "--mesh-tls-ca", ca};
    }

    private static String[] concat(String[] head, String... tail) {
        List<String> all = new ArrayList<>(List.of(head));
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, command + ": " + output);
    }

    @Test
    void serviceDiscoveryTakesARepeatableSelectorAndDefaults() {
        GatewayConfig c = parse("--enable-mesh", "--mesh-advertise-host", "10.0.0.11", "--service-discovery",
                "--router-selector", "app=smg tier=router", "--router-selector", "app.kubernetes.io/part-of=smg");
        DiscoveryConfig d = c.discovery().orElseThrow();
        assertEquals(java.util.Map.of("app", "smg", "tier", "router", "app.kubernetes.io/part-of", "smg"), d.selector());
        assertTrue(d.namespace().isEmpty(), "the pod's own namespace, resolved at start");
        assertEquals("sglang.ai/mesh-port", d.portAnnotation());
        assertTrue(c.warnings().stream().noneMatch(w -> w.contains("discovery")), c.warnings().toString());

        DiscoveryConfig given = parse("--enable-mesh", "--mesh-host", "127.0.0.1", "--service-discovery",
                "--router-selector", "app=smg", "--service-discovery-namespace", "routers",
                "--router-mesh-port-annotation", "smg.dev/mesh-port").discovery().orElseThrow();
        assertEquals(java.util.Optional.of("routers"), given.namespace());
        assertEquals("smg.dev/mesh-port", given.portAnnotation());
    }

    @Test
    void serviceDiscoveryIsRefusedWithoutTheMeshOrASelector() {
        for (String[] bad : new String[][] {
                {"--service-discovery", "--router-selector", "app=smg"},
                {"--enable-mesh", "--mesh-host", "127.0.0.1", "--service-discovery"},
                {"--enable-mesh", "--mesh-host", "127.0.0.1", "--service-discovery", "--router-selector", "app"},
                {"--enable-mesh", "--mesh-host", "127.0.0.1", "--service-discovery", "--router-selector", "app=a", "app=b"},
                {"--enable-mesh", "--mesh-host", "127.0.0.1", "--service-discovery", "--router-selector", "app=smg",
                        "--service-discovery-namespace", "Not_A_Namespace"},
                {"--enable-mesh", "--mesh-host", "127.0.0.1", "--service-discovery", "--router-selector", "app=smg",
                        "--router-mesh-port-annotation", "not an annotation"}}) {
            CliException e = assertThrows(CliException.class, () -> parse(bad), String.join(" ", bad));
            assertTrue(e.getMessage().startsWith("--"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
        }
        assertTrue(assertThrows(CliException.class, () -> parse("--service-discovery", "--router-selector", "app=smg"))
                .getMessage().contains("--enable-mesh"));
        assertTrue(assertThrows(CliException.class, () -> parse("--enable-mesh", "--mesh-host", "127.0.0.1",
                "--service-discovery")).getMessage().contains("--router-selector"));
    }

    @Test
    void workerDiscoveryTakesASelectorWithoutTheMesh() {
        GatewayConfig c = parse("--service-discovery", "--selector", "app=vllm tier=engine", "--selector", "team=ml");
        WorkerDiscoveryConfig w = c.workerDiscovery().orElseThrow();
        assertEquals(java.util.Map.of("app", "vllm", "tier", "engine", "team", "ml"), w.selector());
        assertEquals(80, w.port(), "upstream's default");
        assertTrue(w.namespace().isEmpty());
        assertTrue(w.modelIdFrom().isEmpty(), "models learnt from each worker's /v1/models");
        assertTrue(c.discovery().isEmpty(), "no router discovery without --router-selector");

        WorkerDiscoveryConfig given = parse("--service-discovery", "--selector", "app=vllm", "--service-discovery-port",
                "8000", "--service-discovery-namespace", "engines", "--model-id-from", "label:model").workerDiscovery()
                .orElseThrow();
        assertEquals(8000, given.port());
        assertEquals(java.util.Optional.of("engines"), given.namespace());
        assertEquals("label:model", given.modelIdFrom().orElseThrow().toString());
        for (String from : new String[] {"namespace", "annotation:smg.dev/model"}) {
            assertEquals(from, parse("--service-discovery", "--selector", "app=vllm", "--model-id-from", from)
                    .workerDiscovery().orElseThrow().modelIdFrom().orElseThrow().toString());
        }
    }

    @Test
    void workerDiscoveryFlagsAreChecked() {
        for (String[] bad : new String[][] {
                {"--service-discovery", "--selector", "app"},
                {"--service-discovery", "--selector", "app=vllm", "--service-discovery-port", "0"},
                {"--service-discovery", "--selector", "app=vllm", "--model-id-from", "label"},
                {"--service-discovery", "--selector", "app=vllm", "--model-id-from", "header:x"}}) {
            CliException e = assertThrows(CliException.class, () -> parse(bad), String.join(" ", bad));
            assertTrue(e.getMessage().startsWith("--"), e.getMessage());
        }
        GatewayConfig meshed = parse("--enable-mesh", "--mesh-host", "127.0.0.1", "--service-discovery",
                "--selector", "app=vllm");
        assertTrue(meshed.workerDiscovery().isPresent(), "in a mesh, the quorum's leader watches");
        assertTrue(meshed.discovery().isEmpty(), "routers found by seeds, not pods");
        GatewayConfig c = parse("--service-discovery-port", "8000", "--selector", "app=vllm");
        assertTrue(c.workerDiscovery().isEmpty());
        assertTrue(c.warnings().contains("--selector has no effect without --service-discovery"), c.warnings().toString());
        GatewayConfig routersOnly = parse("--enable-mesh", "--mesh-host", "127.0.0.1", "--service-discovery",
                "--router-selector", "app=smg", "--service-discovery-port", "8000");
        assertTrue(routersOnly.workerDiscovery().isEmpty());
        assertTrue(routersOnly.warnings().contains("--service-discovery-port has no effect without --selector"),
                routersOnly.warnings().toString());
    }

    @Test
    void discoveryFlagsWithoutServiceDiscoveryAreAnnounced() {
        GatewayConfig c = parse("--enable-mesh", "--mesh-host", "127.0.0.1", "--router-selector", "app=smg");
        assertTrue(c.discovery().isEmpty());
        assertTrue(c.warnings().stream().anyMatch(w -> w.startsWith("--router-selector has no effect without"
                + " --service-discovery")), c.warnings().toString());
    }
}
