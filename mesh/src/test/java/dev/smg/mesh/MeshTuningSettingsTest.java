package dev.smg.mesh;

import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipSettings;
import dev.smg.mesh.runtime.MeshNode;
import dev.smg.mesh.store.Namespace;
import dev.smg.mesh.store.SyncSettings;
import dev.smg.mesh.transport.TransportSettings;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mesh's one settings record: its default profile, the other profiles, validation, and wiring. */
class MeshTuningSettingsTest {

    /** lan is the default, and the default is what the mesh ran with before the settings existed. */
    @Test
    void lanIsExactlyTheFormerConstants() {
        MeshTuning lan = MeshTuning.LAN;
        assertSame(MembershipSettings.DEFAULTS, lan.membership());
        assertEquals(new SyncSettings(Duration.ofSeconds(2), Duration.ofSeconds(60), 1024 * 1024, 256, 512, 256),
                lan.sync());
        assertEquals(new TransportSettings(Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofSeconds(10),
                Duration.ofSeconds(5), 2048, 65_536, Duration.ofSeconds(30)), lan.transport());
        assertEquals(new HaSettings(Duration.ofMillis(100), Duration.ofMillis(20), 65_536, Duration.ofMillis(50),
                65_536, Duration.ofSeconds(15), Duration.ofSeconds(4), Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofMillis(50), Duration.ofSeconds(3)), lan.ha());
        assertEquals(Duration.ofSeconds(1), lan.membership().protocolPeriod());
        assertEquals(Duration.ofMillis(400), lan.membership().probeTimeout());
    }

    /** local detects and repairs faster than lan, wan slower and more patiently: as documented. */
    @Test
    void profilesOrderLocalThenLanThenWan() {
        List<Function<MeshTuning, Duration>> faster = List.of(
                t -> t.membership().protocolPeriod(),
                t -> t.membership().probeTimeout(),
                t -> t.membership().suspicionMin(),
                t -> loneSuspicion(t.membership()),
                t -> t.membership().reapAfter(),
                t -> t.sync().antiEntropyInterval(),
                t -> t.transport().connectTimeout(),
                t -> t.transport().reconnectInterval(),
                t -> t.ha().startupLimit());
        for (Function<MeshTuning, Duration> field : faster) {
            Duration local = field.apply(MeshTuning.LOCAL);
            Duration lan = field.apply(MeshTuning.LAN);
            Duration wan = field.apply(MeshTuning.WAN);
            assertTrue(local.compareTo(lan) < 0 && lan.compareTo(wan) < 0, local + " < " + lan + " < " + wan);
        }
        // The local profile's membership is the 0.5 s variant that scripts/bench/failure-detection.sh measures.
        assertEquals(Duration.ofMillis(500), MeshTuning.LOCAL.membership().protocolPeriod());
        // wan follows memberlist's WAN profile: 5 s probe interval, 3 s probe timeout, 6x suspicion.
        assertEquals(Duration.ofSeconds(5), MeshTuning.WAN.membership().protocolPeriod());
        assertEquals(Duration.ofSeconds(3), MeshTuning.WAN.membership().probeTimeout());
        assertEquals(6.0, MeshTuning.WAN.membership().suspicionMaxFactor());
    }

    private static Duration loneSuspicion(MembershipSettings m) {
        return Duration.ofNanos((long) (m.suspicionMinNanos(3) * m.suspicionMaxFactor()));
    }

    @Test
    void profilesAreNamedForTheCommandLine() {
        assertEquals(MeshTuning.WAN, MeshTuning.Profile.named("wan").orElseThrow().tuning());
        assertTrue(MeshTuning.Profile.named("WAN").isEmpty());
        assertEquals(List.of("lan", "local", "wan"), MeshTuning.Profile.flagValues());
    }

    @Test
    void invalidSettingsAreRefusedInOneLineNamingTheField() {
        MembershipSettings m = MembershipSettings.DEFAULTS;
        assertRefused("probe timeout (1000 ms) must be under the protocol period (1000 ms)",
                () -> m.withProbing(Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertRefused("suspicion max factor must be at least 1, got 0.5", () -> m.withSuspicionMaxFactor(0.5));
        assertRefused("anti-entropy interval must be positive, got 0 ms",
                () -> SyncSettings.LAN.withAntiEntropyInterval(Duration.ZERO));
        assertRefused("repair chunk bytes must be between 131073 and 3145728 (under the 4 MiB message cap),"
                + " got 4194304", () -> new SyncSettings(Duration.ofSeconds(2), Duration.ofSeconds(60),
                4 * 1024 * 1024, 256, 512, 256));
        assertRefused("keepalive time must be at least 10 s (gRPC's minimum), got 5000 ms",
                () -> new TransportSettings(Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofSeconds(5),
                        Duration.ofSeconds(5), 2048, 65_536, Duration.ofSeconds(30)));
        assertRefused("startup catch-up attempt (20000 ms) must not exceed the startup limit (15000 ms)",
                () -> new HaSettings(Duration.ofMillis(100), Duration.ofMillis(20), 65_536, Duration.ofMillis(50),
                        65_536, Duration.ofSeconds(15), Duration.ofSeconds(20), Duration.ofSeconds(30),
                        Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofSeconds(3)));
    }

    private static void assertRefused(String message, Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    /** The node runs with the tuning it was given: two nodes on the local profile form and replicate. */
    @Test
    void aNodeRunsWithTheTuningItWasGiven() {
        Namespace<GCounter> requests = new Namespace<>("requests", GCounter.EMPTY);
        MeshTuning tuning = MeshTuning.LOCAL.withSync(MeshTuning.LOCAL.sync()
                .withAntiEntropyInterval(Duration.ofMillis(200)));
        try (MeshNode a = MeshNode.start(new MeshSettings("a", "127.0.0.1", "127.0.0.1", 0, List.of()), tuning,
                new PrometheusRegistry(), List.of(requests));
             MeshNode b = MeshNode.start(new MeshSettings("b", "127.0.0.1", "127.0.0.1", 0,
                     List.of(new PeerAddress("127.0.0.1", a.port()))), tuning, new PrometheusRegistry(),
                     List.of(requests))) {
            assertSame(tuning, a.tuning());
            await().atMost(Duration.ofSeconds(20)).until(() -> a.view().count(MemberStatus.ALIVE) == 2
                    && b.view().count(MemberStatus.ALIVE) == 2);
            a.store().update(requests, "total", g -> g.incrementDelta("a", 3));
            await().atMost(Duration.ofSeconds(20)).until(() -> b.store().snapshot().get(requests).get("total")
                    .map(GCounter::value).orElse(0L) == 3L);
        }
    }
}
