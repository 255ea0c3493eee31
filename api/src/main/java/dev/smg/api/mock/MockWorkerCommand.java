package dev.smg.api.mock;

import dev.smg.api.cli.Flag;
import dev.smg.api.cli.FlagSet;
import dev.smg.api.cli.ParsedArgs;
import dev.smg.api.logging.LogSetup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code smg mock-worker}: one process hosting N mock inference workers on consecutive ports, for
 * tests, demos and benchmarks.
 */
public final class MockWorkerCommand {
    private static final System.Logger LOG = System.getLogger(MockWorkerCommand.class.getName());

    private MockWorkerCommand() {
    }

    static FlagSet flagSet() {
        return new FlagSet("Usage: smg mock-worker --port P [flags]   (N workers on ports P..P+N-1)")
                .group("Mock worker",
                        Flag.value("--host", "127.0.0.1", "address the workers bind"),
                        Flag.value("--port", "9000", "port of the first worker"),
                        Flag.value("--count", "1", "number of workers, on consecutive ports"),
                        Flag.value("--model", "mock-model", "model id the workers serve"),
                        Flag.value("--gen-ms", "0", "generation time of one response in ms (spread over the stream's chunks)"),
                        Flag.value("--stream-chunks", "8", "content chunks in a streamed response (also the completion token count)"),
                        Flag.value("--api-key", "", "require this Bearer key on generation requests"),
                        Flag.value("--log-level", "info", "log level: trace, debug, info, warn, error"));
    }

    public static int run(String[] args) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(flagSet().help());
            return 0;
        }
        ParsedArgs a = flagSet().parse(args);
        String host = a.host("--host", "127.0.0.1");
        int port = a.intValue("--port", 9000, 1, 65535);
        int count = a.intValue("--count", 1, 1, 1024);
        if (port + count - 1 > 65535) {
            throw new dev.smg.api.cli.CliException("--count: ports " + port + ".." + (port + count - 1) + " exceed 65535");
        }
        MockBehaviour behaviour = new MockBehaviour(
                a.matching("--model", "mock-model", m -> !m.isBlank() && m.length() <= 256, "a model id"),
                a.longValue("--gen-ms", 0, 0, 3_600_000),
                a.intValue("--stream-chunks", 8, 1, 100_000),
                a.string("--api-key"));
        LogSetup.configure(a.choice("--log-level", "info", List.of("trace", "debug", "info", "warn", "error")));

        List<MockWorker> workers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            workers.add(MockWorker.start(host, port + i, behaviour));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> workers.forEach(MockWorker::stop), "mock-worker-stop"));
        LOG.log(System.Logger.Level.INFO, "{0} mock worker(s) serving model {1} on http://{2}:{3}..{4}",
                count, behaviour.model(), host, String.valueOf(port), String.valueOf(port + count - 1));
        return -1;
    }
}
