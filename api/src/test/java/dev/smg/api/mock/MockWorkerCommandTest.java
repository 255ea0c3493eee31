package dev.smg.api.mock;

import dev.smg.api.cli.CliException;
import dev.smg.api.cli.Flag;
import dev.smg.api.cli.ParsedArgs;
import dev.smg.api.mock.engine.EngineSettings;
import dev.smg.api.testing.SmgProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code smg mock-worker}'s engine flags: defaults and validation. */
class MockWorkerCommandTest {
    private static MockBehaviour parse(String... args) {
        return MockWorkerCommand.behaviour(MockWorkerCommand.flagSet().parse(args));
    }

    @Test
    void cannedIsTheDefaultAndRealisticTakesUpstreamsDefaults() {
        assertEquals(Optional.empty(), parse().engine());
        assertEquals(Optional.of(EngineSettings.defaults()), parse("--engine", "realistic").engine());
    }

    @Test
    void everyEngineFlagIsRead() {
        EngineSettings s = parse("--engine", "realistic", "--prefill-tps", "4000", "--decode-base-ms", "2.5",
                "--decode-per-req-ms", "0.1", "--prefill-chunk", "512", "--max-running", "8", "--kv-tokens", "65536",
                "--block-size", "32", "--prefix-cache", "false", "--output-tokens", "16", "--max-waiting", "10")
                .engine().orElseThrow();
        assertEquals(new EngineSettings(4000, 2.5, 0.1, 512, 8, 65536, 32, false, 16, 10), s);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "--engine, fast",
            "--prefill-tps, 0",
            "--decode-base-ms, -1",
            "--decode-per-req-ms, abc",
            "--prefill-chunk, 0",
            "--max-running, 0",
            "--kv-tokens, 8",
            "--block-size, 0",
            "--prefix-cache, maybe",
            "--output-tokens, 0",
            "--max-waiting, 0"})
    void aBadValueIsRefusedNamingTheFlag(String flag, String value) {
        CliException e = assertThrows(CliException.class, () -> parse("--engine", "realistic", flag, value));
        assertTrue(e.getMessage().startsWith(flag + ":"), e.getMessage());
    }

    private static Optional<MockWorkerCommand.Death> death(String... args) {
        return MockWorkerCommand.death(MockWorkerCommand.flagSet().parse(args));
    }

    @Test
    void dieFlagsAreReadAndValidated() {
        assertEquals(Optional.empty(), death());
        assertEquals(Optional.of(new MockWorkerCommand.Death(5, DeathMode.CRASH)),
                death("--die-after-tokens", "5"));
        assertEquals(Optional.of(new MockWorkerCommand.Death(0, DeathMode.STALL)),
                death("--die-after-tokens", "0", "--die-mode", "stall"));
        for (String[] bad : new String[][] {{"--die-after-tokens", "-1"}, {"--die-after-tokens", "x"},
                {"--die-after-tokens", "1", "--die-mode", "explode"}}) {
            CliException e = assertThrows(CliException.class, () -> death(bad));
            assertTrue(e.getMessage().startsWith("--die-"), e.getMessage());
        }
    }

    @Test
    void theProcessExitsTwoOnABadEngineFlag() throws Exception {
        try (SmgProcess smg = SmgProcess.start("mock-worker", "--engine", "realistic", "--kv-tokens", "lots")) {
            assertEquals(2, smg.waitForExit(Duration.ofSeconds(60)));
            assertTrue(smg.output().startsWith("smg: --kv-tokens:"), smg.output());
        }
    }

    /** The mock's flag table is the one place its defaults are written (the engine's come from EngineSettings). */
    @Test
    void everyFlagsHelpDefaultIsWhatParsingYieldsWithTheFlagAbsent() {
        for (boolean realistic : new boolean[] {false, true}) {
            List<String> base = realistic ? List.of("--engine", "realistic") : List.of();
            MockBehaviour absent = parse(base.toArray(String[]::new));
            for (Flag flag : MockWorkerCommand.flagSet().flags()) {
                if (flag.defaultValue().isEmpty() || base.contains(flag.name())) {
                    continue;
                }
                List<String> given = new ArrayList<>(base);
                given.add(flag.name() + "=" + flag.defaultValue().get());
                assertEquals(absent, parse(given.toArray(String[]::new)), flag.name());
                ParsedArgs a = MockWorkerCommand.flagSet().parse(given.toArray(String[]::new));
                assertEquals(flag.defaultValue().get(), a.value(flag.name()));
            }
        }
        assertEquals(Set.of("--api-key", "--die-after-tokens"), MockWorkerCommand.flagSet().flags().stream()
                .filter(f -> f.defaultValue().isEmpty()).map(Flag::name).collect(Collectors.toSet()));
    }
}
