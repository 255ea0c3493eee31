package dev.smg.api;

import dev.smg.api.cli.Flag;
import dev.smg.api.cli.FlagSet;
import dev.smg.api.cli.ParsedArgs;
import dev.smg.mesh.sim.ConvergenceBench;
import dev.smg.mesh.sim.FailureDetectionBench;

import java.util.Arrays;

/**
 * {@code smg mesh-bench}: runs the membership protocol on the deterministic simulator and prints
 * failure-detection figures (detection times, false DOWNs under loss, idle traffic) as Markdown.
 * {@code smg mesh-bench convergence}: real mesh nodes over gRPC on loopback in this JVM; prints
 * how fast replicated writes reach every node and how fast a joiner catches up.
 */
final class MeshBenchCommand {
    private MeshBenchCommand() {
    }

    static int run(String[] args) {
        if (args.length > 0 && args[0].equals("convergence")) {
            return convergence(Arrays.copyOfRange(args, 1, args.length));
        }
        FlagSet flags = new FlagSet("Usage: smg mesh-bench [flags]            failure detection (simulated)\n"
                + "       smg mesh-bench convergence [flags]  replication over gRPC (see --help there)")
                .group("Simulation",
                        Flag.value("--crashes", "30", "crashes simulated per cluster size (3, 10, 50 members)"),
                        Flag.value("--loss-minutes", "60", "simulated minutes at 10% message loss"));
        if (Arrays.asList(args).contains("--help")) {
            System.out.print(flags.help());
            return 0;
        }
        ParsedArgs a = flags.parse(args);
        FailureDetectionBench.main(new String[] {
                String.valueOf(a.intValue("--crashes", 1, 10_000)),
                String.valueOf(a.intValue("--loss-minutes", 1, 100_000))});
        return 0;
    }

    private static int convergence(String[] args) {
        FlagSet flags = new FlagSet("Usage: smg mesh-bench convergence [flags]   (mesh nodes on 127.0.0.1, one JVM)")
                .group("Spread of writes",
                        Flag.value("--nodes", "10,50", "cluster sizes, comma-separated (each a fresh cluster)"),
                        Flag.value("--updates", "200", "updates written at one node per cluster size"),
                        Flag.value("--spacing-ms", "20", "time between two updates"),
                        Flag.value("--membership", "one-jvm", "failure-detection timings: one-jvm (2 s period, "
                                + "1.5 s probe timeout: nodes share this JVM's CPUs) or production (1 s, 400 ms)"))
                .group("Joiner catch-up",
                        Flag.value("--joiner-entries", "10000", "entries in the store a new node joins (0: skip)"),
                        Flag.value("--joiner-cluster", "3", "nodes already in the cluster it joins"));
        if (Arrays.asList(args).contains("--help")) {
            System.out.print(flags.help());
            return 0;
        }
        ParsedArgs a = flags.parse(args);
        String nodes = a.matching("--nodes", s -> s.matches("\\d{1,3}(,\\d{1,3})*")
                && Arrays.stream(s.split(",")).mapToInt(Integer::parseInt).allMatch(n -> n >= 2 && n <= 200),
                "comma-separated node counts from 2 to 200");
        ConvergenceBench.main(new String[] {nodes,
                String.valueOf(a.intValue("--updates", 1, 100_000)),
                String.valueOf(a.intValue("--spacing-ms", 1, 10_000)),
                String.valueOf(a.intValue("--joiner-entries", 0, 10_000_000)),
                String.valueOf(a.intValue("--joiner-cluster", 1, 50)),
                a.choice("--membership", java.util.List.of("one-jvm", "production"))});
        return 0;
    }
}
