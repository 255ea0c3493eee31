package dev.smg.api.config;

import dev.smg.api.cli.CliException;
import dev.smg.api.testing.SmgProcess;
import dev.smg.mesh.MeshTuning;
import dev.smg.mesh.membership.MembershipSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --mesh-profile} and the mesh timing overrides: parsed, validated, and carried to the mesh. */
class MeshTuningFlagsTest {
    private static final String[] MESH = {"--enable-mesh", "--mesh-host", "127.0.0.1"};

    private static MeshTuning tuning(String... flags) {
        List<String> args = new ArrayList<>(List.of(MESH));
        args.addAll(List.of(flags));
        return GatewayFlags.parse(args.toArray(String[]::new)).meshTuning();
    }

    @Test
    void theDefaultProfileIsLanAndEachProfileIsNamed() {
        assertEquals(MeshTuning.LAN, tuning());
        for (MeshTuning.Profile p : MeshTuning.Profile.values()) {
            assertEquals(p.tuning(), tuning("--mesh-profile", p.flagValue()), p.flagValue());
        }
        assertEquals(List.of("lan", "local", "wan"), MeshTuning.Profile.flagValues());
    }

    @Test
    void overridesReachTheSettingsAndLeaveTheRestOfTheProfile() {
        MeshTuning t = tuning("--mesh-probe-interval-ms", "2000", "--mesh-probe-timeout-ms", "800",
                "--mesh-suspicion-mult", "5", "--mesh-sync-interval-ms", "10000");
        MembershipSettings m = t.membership();
        assertEquals(Duration.ofMillis(2000), m.protocolPeriod());
        assertEquals(Duration.ofMillis(800), m.probeTimeout());
        assertEquals(5.0, m.suspicionMaxFactor());
        assertEquals(Duration.ofSeconds(10), t.sync().antiEntropyInterval());
        assertEquals(MeshTuning.LAN.membership().suspicionMin(), m.suspicionMin());
        assertEquals(MeshTuning.LAN.membership().reapAfter(), m.reapAfter());
        assertEquals(MeshTuning.LAN.sync().garbageInterval(), t.sync().garbageInterval());
        assertEquals(MeshTuning.LAN.transport(), t.transport());
        assertEquals(MeshTuning.LAN.ha(), t.ha());
    }

    @Test
    void overridesApplyOnTopOfTheChosenProfile() {
        MeshTuning t = tuning("--mesh-profile", "wan", "--mesh-sync-interval-ms", "30000");
        assertEquals(MeshTuning.WAN.membership(), t.membership());
        assertEquals(Duration.ofSeconds(30), t.sync().antiEntropyInterval());
        // An interval alone is checked against the profile's timeout: 2 s is fine for lan, not for wan (3 s).
        assertEquals(Duration.ofSeconds(2), tuning("--mesh-probe-interval-ms", "2000").membership().protocolPeriod());
        assertTrue(assertThrows(CliException.class, () -> tuning("--mesh-profile", "wan",
                "--mesh-probe-interval-ms", "2000")).getMessage().startsWith("--mesh-probe-interval-ms: 2000 must be above"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "--mesh-profile, fast",
            "--mesh-probe-interval-ms, 0",
            "--mesh-probe-interval-ms, soon",
            "--mesh-probe-interval-ms, 300",
            "--mesh-probe-timeout-ms, 1000",
            "--mesh-probe-timeout-ms, -5",
            "--mesh-suspicion-mult, 0.5",
            "--mesh-suspicion-mult, NaN",
            "--mesh-sync-interval-ms, 0"})
    void aBadValueIsRefusedInOneLineNamingTheFlag(String flag, String value) {
        CliException e = assertThrows(CliException.class, () -> tuning(flag, value));
        assertTrue(e.getMessage().startsWith(flag + ":"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void theProbeTimeoutMustBeUnderTheInterval() {
        assertEquals("--mesh-probe-timeout-ms: 1000 must be under the probe interval (1000 ms in profile lan)",
                assertThrows(CliException.class, () -> tuning("--mesh-probe-timeout-ms", "1000")).getMessage());
        assertEquals("--mesh-probe-timeout-ms: 700 must be under the probe interval (500 ms, --mesh-probe-interval-ms)",
                assertThrows(CliException.class, () -> tuning("--mesh-probe-interval-ms", "500",
                        "--mesh-probe-timeout-ms", "700")).getMessage());
    }

    @Test
    void helpListsEachProfilesValueForEveryOverride() {
        String help = GatewayFlags.flagSet().help();
        assertTrue(help.contains("--mesh-profile V"), help);
        assertTrue(help.contains("[default: lan]"), help);
        assertTrue(help.contains("[default: --mesh-profile's (lan: 1000, local: 500, wan: 5000)]"), help);
        assertTrue(help.contains("[default: --mesh-profile's (lan: 400, local: 200, wan: 3000)]"), help);
        assertTrue(help.contains("[default: --mesh-profile's (lan: 3, local: 3, wan: 6)]"), help);
        assertTrue(help.contains("[default: --mesh-profile's (lan: 2000, local: 500, wan: 10000)]"), help);
    }

    @Test
    void withoutTheMeshTheTuningFlagsAreAnnounced() {
        List<String> warnings = GatewayFlags.parse(new String[] {"--mesh-profile", "wan"}).warnings();
        assertTrue(warnings.contains("--mesh-profile has no effect without --enable-mesh"), warnings.toString());
    }

    @Test
    void theProcessExitsTwoNamingTheFlag() throws Exception {
        try (SmgProcess smg = SmgProcess.start("--enable-mesh", "--mesh-host", "127.0.0.1",
                "--mesh-probe-timeout-ms", "5000")) {
            assertEquals(2, smg.waitForExit(Duration.ofSeconds(60)));
            assertTrue(smg.output().startsWith("smg: --mesh-probe-timeout-ms: 5000 must be under"), smg.output());
        }
    }
}
