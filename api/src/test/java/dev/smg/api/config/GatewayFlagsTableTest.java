package dev.smg.api.config;

import dev.smg.api.cli.Flag;
import dev.smg.mesh.MeshTuning;
import dev.smg.router.breaker.BreakerSettings;
import dev.smg.router.policy.CacheAwareSettings;
import dev.smg.router.retry.RetrySettings;
import org.junit.jupiter.api.Test;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's flag table is the one place a default is written: what {@code --help} shows for a
 * flag is what parsing yields when the flag is absent.
 */
class GatewayFlagsTableTest {
    /** Nothing given: gateway, policies, admission, health, breaker, retries, metrics. */
    private static final List<String> PLAIN = List.of();
    /** Mesh and discovery on, so that their flags reach the config (and the host is not in the base). */
    private static final List<String> MESH = List.of("--enable-mesh", "--mesh-advertise-host", "10.0.0.1",
            "--mesh-server-name", "n1", "--service-discovery", "--router-selector", "app=smg");

    @Test
    void everyFlagsHelpDefaultIsWhatParsingYieldsWithTheFlagAbsent() throws Exception {
        int checked = 0;
        for (Flag flag : GatewayFlags.flagSet().flags()) {
            if (flag.defaultValue().isEmpty()) {
                continue;
            }
            for (List<String> base : List.of(PLAIN, MESH)) {
                if (base.contains(flag.name())) {
                    continue;
                }
                List<String> given = new ArrayList<>(base);
                given.add(flag.name() + "=" + flag.defaultValue().get());
                assertSameConfig(flag.name() + " " + flag.defaultValue().get(), parse(base), parse(given));
                checked++;
            }
        }
        assertTrue(checked > 60, "walked the table: " + checked);
    }

    @Test
    void helpShowsEachFlagsDefaultFromTheTable() {
        String help = GatewayFlags.flagSet().help();
        for (Flag flag : GatewayFlags.flagSet().flags()) {
            String line = help.lines().filter(l -> l.startsWith("  " + flag.name() + " ")).findFirst().orElseThrow();
            String shown = flag.defaultText().isEmpty() ? "none" : flag.defaultText();
            assertTrue(line.endsWith("[default: " + shown + "]"), line);
        }
    }

    /**
     * The flags without a default value: each is absent-means-none, or a default the program works
     * out (from another flag, the environment, chance, the mesh profile). A new one belongs here
     * only with a reason.
     */
    @Test
    void onlyTheseFlagsHaveNoDefaultValue() {
        Set<String> withoutValue = GatewayFlags.flagSet().flags().stream()
                .filter(f -> f.defaultValue().isEmpty() && f.arity() != Flag.Arity.LIST)
                .map(Flag::name).collect(Collectors.toSet());
        assertEquals(Set.of("--api-key", "--rate-limit-tokens-per-second", "--mesh-tls-cert", "--mesh-tls-key",
                "--mesh-tls-ca", "--mesh-server-name", "--mesh-advertise-host", "--service-discovery-namespace",
                "--model-id-from" /* absent: the models a worker's /v1/models lists */,
                "--mesh-probe-interval-ms", "--mesh-probe-timeout-ms", "--mesh-suspicion-mult",
                "--mesh-sync-interval-ms",
                "--otlp-traces-endpoint" /* from OTEL_EXPORTER_OTLP_*ENDPOINT, else the SDK's localhost:4317 */),
                withoutValue);
        GatewayConfig c = parse(MESH);
        assertTrue(c.apiKey().isEmpty());
        assertEquals(AdmissionConfig.NO_RATE_LIMIT, c.admission().ratePerSecond());
        assertTrue(c.mesh().orElseThrow().tls().isEmpty());
    }

    @Test
    void defaultsKeptBySettingsRecordsAreTheFlagsDefaults() {
        GatewayConfig c = parse(PLAIN);
        assertEquals(BreakerSettings.DEFAULTS, c.breaker());
        assertEquals(RetrySettings.DEFAULTS, c.retry());
        assertEquals(CacheAwareSettings.DEFAULTS, c.routing().cacheAware());
        assertEquals(MeshTuning.LAN, c.meshTuning());
    }

    private static GatewayConfig parse(List<String> args) {
        return GatewayFlags.parse(args.toArray(String[]::new));
    }

    /** Equal in every component but the warnings (a flag given without its feature is warned about). */
    private static void assertSameConfig(String what, GatewayConfig expected, GatewayConfig actual) throws Exception {
        for (RecordComponent c : GatewayConfig.class.getRecordComponents()) {
            if (!c.getName().equals("warnings")) {
                assertEquals(c.getAccessor().invoke(expected), c.getAccessor().invoke(actual), what + ": " + c.getName());
            }
        }
    }
}
