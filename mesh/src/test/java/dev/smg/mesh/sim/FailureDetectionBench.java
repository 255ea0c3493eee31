package dev.smg.mesh.sim;

import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.MeshTuning;
import dev.smg.mesh.membership.MembershipSettings;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Failure-detection figures from the deterministic simulator (simulated time, so the figures are
 * the protocol's, not this machine's): time from a crash to the first SUSPECTED and to DOWN at
 * every member, false DOWNs under message loss, and idle membership traffic per node. Prints a
 * Markdown report. Lives in mesh's test sources (not in the library or smg.jar);
 * {@code scripts/bench/failure-detection.sh} runs it from mesh's test classpath with
 * args {@code CRASHES LOSS_MINUTES} (30 and 60 when absent).
 */
public final class FailureDetectionBench {
    private static final long SECOND = 1_000_000_000L;

    private FailureDetectionBench() {
    }

    public static void main(String[] args) {
        // Thousands of simulated joins and crashes would otherwise log a line each.
        java.util.logging.Logger.getLogger("dev.smg.mesh").setLevel(java.util.logging.Level.OFF);
        int crashes = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int lossMinutes = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        System.out.print(report(crashes, lossMinutes, MembershipSettings.DEFAULTS));
    }

    static String report(int crashes, int lossMinutes, MembershipSettings settings) {
        StringBuilder out = new StringBuilder();
        out.append("| members | crashes | to SUSPECTED p50 | p99 | to DOWN everywhere p50 | p99 | max |\n");
        out.append("|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int n : new int[] {3, 10, 50}) {
            List<Long> suspected = new ArrayList<>();
            List<Long> down = new ArrayList<>();
            for (int run = 0; run < crashes; run++) {
                long[] times = detect(1000L * n + run, n, settings);
                suspected.add(times[0]);
                down.add(times[1]);
            }
            out.append(String.format(Locale.ROOT, "| %d | %d | %s | %s | %s | %s | %s |%n", n, crashes,
                    secs(pct(suspected, 50)), secs(pct(suspected, 99)), secs(pct(down, 50)), secs(pct(down, 99)),
                    secs(Collections.max(down))));
        }
        // The price of faster detection: the local profile's membership, a 0.5 s period (twice the probes).
        MembershipSettings fast = MeshTuning.LOCAL.membership();
        List<Long> fastDown = new ArrayList<>();
        for (int run = 0; run < crashes; run++) {
            fastDown.add(detect(7000L + run, 10, fast)[1]);
        }
        out.append(String.format(Locale.ROOT,
                "%nWith the local profile (0.5 s period, 200 ms probe timeout, 0.25 s suspicion minimum), 10 members: to DOWN "
                        + "everywhere p50 %s, p99 %s, max %s.%n", secs(pct(fastDown, 50)), secs(pct(fastDown, 99)),
                secs(Collections.max(fastDown))));
        long[] fastLoss = underLoss(99, 10, 0.10, lossMinutes, fast);
        out.append(String.format(Locale.ROOT, "Same settings at 10%% loss for %d min: %d false DOWN.%n", lossMinutes,
                fastLoss[0]));
        out.append("\n| members | loss | simulated time | false DOWN | false SUSPECTED (refuted) |\n");
        out.append("|---:|---:|---:|---:|---:|\n");
        for (int n : new int[] {10, 50}) {
            long[] falses = underLoss(77 + n, n, 0.10, lossMinutes, settings);
            out.append(String.format(Locale.ROOT, "| %d | 10%% | %d min | %d | %d |%n", n, lossMinutes, falses[0],
                    falses[1]));
        }
        out.append("\n| members | idle membership bytes per node per second (payload) | messages per node per second |\n");
        out.append("|---:|---:|---:|\n");
        for (int n : new int[] {3, 10, 50}) {
            double[] idle = idleTraffic(5 + n, n, settings);
            out.append(String.format(Locale.ROOT, "| %d | %.0f | %.1f |%n", n, idle[0], idle[1]));
        }
        return out.toString();
    }

    /** [time to first SUSPECTED anywhere, time to DOWN at every other member], in nanoseconds. */
    static long[] detect(long seed, int n, MembershipSettings settings) {
        SimulatedCluster cluster = new SimulatedCluster(seed, settings);
        cluster.startAll(n);
        if (!cluster.network().runUntil(cluster::converged, 60 * SECOND)) {
            throw new IllegalStateException("cluster of " + n + " did not form");
        }
        // Crash at a random point of the protocol period.
        cluster.network().runFor(cluster.network().random().nextLong(settings.protocolPeriod().toNanos()));
        String victim = "n" + (1 + cluster.network().random().nextInt(n - 1));
        AtomicLong firstSuspect = new AtomicLong(-1);
        long crashAt = cluster.network().now();
        cluster.observeStatusChanges((observer, change) -> {
            if (change[1].name().equals(victim) && change[1].status() == MemberStatus.SUSPECTED) {
                firstSuspect.compareAndSet(-1, cluster.network().now() - crashAt);
            }
        });
        cluster.crash(victim);
        if (!cluster.network().runUntil(() -> cluster.allSee(victim, MemberStatus.DOWN), 120 * SECOND)) {
            throw new IllegalStateException("crash of " + victim + " never detected");
        }
        long downAt = cluster.network().now() - crashAt;
        return new long[] {firstSuspect.get() < 0 ? downAt : firstSuspect.get(), downAt};
    }

    /** [false DOWN count, false SUSPECTED count] over a long run with random message loss. */
    static long[] underLoss(long seed, int n, double loss, int minutes, MembershipSettings settings) {
        SimulatedCluster cluster = new SimulatedCluster(seed, settings);
        cluster.startAll(n);
        cluster.network().runUntil(cluster::converged, 60 * SECOND);
        AtomicInteger downs = new AtomicInteger();
        AtomicInteger suspects = new AtomicInteger();
        cluster.observeStatusChanges((observer, change) -> {
            if (change[1].status() == MemberStatus.DOWN) {
                downs.incrementAndGet();
            } else if (change[1].status() == MemberStatus.SUSPECTED) {
                suspects.incrementAndGet();
            }
        });
        cluster.network().setLossRate(loss);
        cluster.network().runFor(Duration.ofMinutes(minutes).toNanos());
        return new long[] {downs.get(), suspects.get()};
    }

    /** [payload bytes, messages] sent per node per second by an idle, formed cluster. */
    static double[] idleTraffic(long seed, int n, MembershipSettings settings) {
        SimulatedCluster cluster = new SimulatedCluster(seed, settings);
        cluster.startAll(n);
        cluster.network().runUntil(cluster::converged, 60 * SECOND);
        cluster.network().runFor(30 * SECOND); // let join gossip die down
        long bytesBefore = 0;
        for (String node : cluster.running()) {
            bytesBefore += cluster.network().bytesSentBy(SimulatedCluster.address(node));
        }
        long messagesBefore = cluster.network().messagesSent();
        int seconds = 60;
        cluster.network().runFor(seconds * SECOND);
        long bytes = -bytesBefore;
        for (String node : cluster.running()) {
            bytes += cluster.network().bytesSentBy(SimulatedCluster.address(node));
        }
        long messages = cluster.network().messagesSent() - messagesBefore;
        return new double[] {(double) bytes / n / seconds, (double) messages / n / seconds};
    }

    private static long pct(List<Long> values, int p) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static String secs(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }
}
