package dev.smg.api.mock;

import dev.smg.api.cli.CliException;
import dev.smg.api.cli.Flag;
import dev.smg.api.cli.FlagSet;
import dev.smg.api.cli.ParsedArgs;
import dev.smg.api.config.GatewayFlags;
import dev.smg.api.logging.LogSetup;
import dev.smg.api.mock.engine.EngineSettings;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * {@code smg mock-worker}: one process hosting N mock inference workers on consecutive ports, for
 * tests, demos and benchmarks.
 */
public final class MockWorkerCommand {
    private static final System.Logger LOG = System.getLogger(MockWorkerCommand.class.getName());
    /** Flags only one engine reads; given to the other, they are ignored with a warning. */
    private static final List<String> CANNED_FLAGS = List.of("--gen-ms", "--stream-chunks");
    private static final List<String> REALISTIC_FLAGS = List.of("--prefill-tps", "--decode-base-ms",
            "--decode-per-req-ms", "--prefill-chunk", "--max-running", "--kv-tokens", "--block-size", "--prefix-cache",
            "--output-tokens", "--max-waiting");

    /** The realistic engine's flags take their defaults from here. */
    private static final EngineSettings ENGINE = EngineSettings.defaults();

    private MockWorkerCommand() {
    }

    static FlagSet flagSet() {
        return new FlagSet("Usage: smg mock-worker --port P [flags]   (N workers on ports P..P+N-1)")
                .group("Mock worker",
                        Flag.value("--host", "127.0.0.1", "address the workers bind"),
                        Flag.value("--port", 9000, "port of the first worker"),
                        Flag.value("--count", 1, "number of workers, on consecutive ports"),
                        Flag.value("--model", "mock-model", "model id the workers serve"),
                        Flag.value("--engine", "canned", "canned (fixed timing) or realistic (simulated continuous batching with a prefix cache)"),
                        Flag.value("--api-key", "require this Bearer key on generation requests"),
                        Flag.value("--log-level", "info", "log level: " + String.join(", ", GatewayFlags.LOG_LEVELS)))
                .group("Canned engine",
                        Flag.value("--gen-ms", 0, "time of a whole answer in ms; a stream sends a token every gen-ms / stream-chunks"),
                        Flag.value("--stream-chunks", 8, "tokens of an answer, one chunk each when streamed (fewer with a smaller max_tokens)"))
                .group("Realistic engine (see docs/mock-engine.md)",
                        Flag.value("--prefill-tps", ENGINE.prefillTps(), "prompt tokens prefilled per second"),
                        Flag.value("--decode-base-ms", ENGINE.decodeBaseMs(), "fixed time of one engine step, ms"),
                        Flag.value("--decode-per-req-ms", ENGINE.decodePerReqMs(), "added step time per request decoding in the step, ms"),
                        Flag.value("--prefill-chunk", ENGINE.prefillChunk(), "prompt tokens prefilled per step (chunked prefill)"),
                        Flag.value("--max-running", ENGINE.maxRunning(), "requests in the running batch at most"),
                        Flag.value("--kv-tokens", ENGINE.kvTokens(), "KV cache capacity in tokens"),
                        Flag.value("--block-size", ENGINE.blockSize(), "tokens per prefix-cache block"),
                        Flag.value("--prefix-cache", String.valueOf(ENGINE.prefixCache()), "reuse cached prompt blocks: true or false"),
                        Flag.value("--output-tokens", ENGINE.outputTokens(), "output length of a request without max_tokens / max_new_tokens"),
                        Flag.value("--max-waiting", ENGINE.maxWaiting(), "requests waiting for admission at most; more are answered 503"))
                .group("Failure injection (for failover tests)",
                        Flag.value("--die-after-tokens", "each worker dies after streaming this many content tokens (0: at once)"),
                        Flag.value("--die-mode", "crash", "how it dies: crash (streams cut, server stopped) or stall (nothing more sent)"));
    }

    public static int run(String[] args) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(flagSet().help());
            return 0;
        }
        ParsedArgs a = flagSet().parse(args);
        String host = a.host("--host");
        int port = a.intValue("--port", 1, 65535);
        int count = a.intValue("--count", 1, 1024);
        if (port + count - 1 > 65535) {
            throw new CliException("--count: ports " + port + ".." + (port + count - 1) + " exceed 65535");
        }
        MockBehaviour behaviour = behaviour(a);
        Optional<Death> death = death(a);
        String engine = behaviour.engine().isPresent() ? "realistic" : "canned";
        LogSetup.configure(a.choice("--log-level", GatewayFlags.LOG_LEVELS));

        List<MockWorker> workers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MockWorker worker = MockWorker.start(host, port + i, behaviour);
            death.ifPresent(d -> worker.dieAfterTokens(d.afterTokens(), d.mode()));
            workers.add(worker);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> workers.forEach(MockWorker::stop), "mock-worker-stop"));
        List<String> ignored = (engine.equals("canned") ? REALISTIC_FLAGS : CANNED_FLAGS).stream().filter(a::has).toList();
        if (!ignored.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "--engine {0} ignores {1}", engine, String.join(", ", ignored));
        }
        death.ifPresent(d -> LOG.log(System.Logger.Level.INFO, "each worker dies ({0}) after {1} streamed tokens",
                d.mode().name().toLowerCase(java.util.Locale.ROOT), d.afterTokens()));
        LOG.log(System.Logger.Level.INFO, "{0} mock worker(s) ({1} engine) serving model {2} on http://{3}:{4}..{5}",
                count, engine, behaviour.model(), host, String.valueOf(port), String.valueOf(port + count - 1));
        behaviour.engine().ifPresent(settings -> LOG.log(System.Logger.Level.INFO, "realistic engine: {0}", settings));
        return -1;
    }

    /** How the workers answer; every flag is validated, whichever engine runs. */
    static MockBehaviour behaviour(ParsedArgs a) {
        String engine = a.choice("--engine", List.of("canned", "realistic"));
        EngineSettings settings = engineSettings(a);
        return new MockBehaviour(
                a.matching("--model", m -> !m.isBlank() && m.length() <= 256, "a model id"),
                a.longValue("--gen-ms", 0, 3_600_000),
                a.intValue("--stream-chunks", 1, 100_000),
                a.string("--api-key"),
                engine.equals("realistic") ? Optional.of(settings) : Optional.empty());
    }

    /** When each worker is to die: {@code --die-after-tokens} and {@code --die-mode}. */
    record Death(int afterTokens, DeathMode mode) {
    }

    /** {@code --die-after-tokens N [--die-mode crash|stall]}; empty without the first. */
    static Optional<Death> death(ParsedArgs a) {
        DeathMode mode = DeathMode.valueOf(a.choice("--die-mode", List.of("crash", "stall")).toUpperCase(java.util.Locale.ROOT));
        OptionalLong after = a.optionalLong("--die-after-tokens", 0, Integer.MAX_VALUE);
        return after.isEmpty() ? Optional.empty() : Optional.of(new Death((int) after.getAsLong(), mode));
    }

    /** The realistic engine's flags, each validated (a bad one exits 2 naming it) whichever engine runs. */
    static EngineSettings engineSettings(ParsedArgs a) {
        int blockSize = a.intValue("--block-size", 1, 4096);
        int kvTokens = a.intValue("--kv-tokens", 1, 1 << 30);
        if (kvTokens < blockSize) {
            throw new CliException("--kv-tokens: " + kvTokens + " is less than one block (--block-size " + blockSize + ")");
        }
        return new EngineSettings(
                a.doubleValue("--prefill-tps", 1, 1e9),
                a.doubleValue("--decode-base-ms", 0, 60_000),
                a.doubleValue("--decode-per-req-ms", 0, 60_000),
                a.intValue("--prefill-chunk", 1, 1 << 20),
                a.intValue("--max-running", 1, 65_536),
                kvTokens,
                blockSize,
                a.choice("--prefix-cache", List.of("true", "false")).equals("true"),
                a.intValue("--output-tokens", 1, EngineSettings.MAX_MODEL_LEN),
                a.intValue("--max-waiting", 1, 1_000_000));
    }
}
