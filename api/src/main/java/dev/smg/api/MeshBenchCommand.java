package dev.smg.api;

import dev.smg.api.cli.Flag;
import dev.smg.api.cli.FlagSet;
import dev.smg.api.cli.ParsedArgs;
import dev.smg.mesh.sim.FailureDetectionBench;

import java.util.Arrays;

/**
 * {@code smg mesh-bench}: runs the membership protocol on the deterministic simulator and prints
 * failure-detection figures (detection times, false DOWNs under loss, idle traffic) as Markdown.
 */
final class MeshBenchCommand {
    private MeshBenchCommand() {
    }

    static int run(String[] args) {
        FlagSet flags = new FlagSet("Usage: smg mesh-bench [flags]")
                .group("Simulation",
                        Flag.value("--crashes", "30", "crashes simulated per cluster size (3, 10, 50 members)"),
                        Flag.value("--loss-minutes", "60", "simulated minutes at 10% message loss"));
        if (Arrays.asList(args).contains("--help")) {
            System.out.print(flags.help());
            return 0;
        }
        ParsedArgs a = flags.parse(args);
        FailureDetectionBench.main(new String[] {
                String.valueOf(a.intValue("--crashes", 30, 1, 10_000)),
                String.valueOf(a.intValue("--loss-minutes", 60, 1, 100_000))});
        return 0;
    }
}
