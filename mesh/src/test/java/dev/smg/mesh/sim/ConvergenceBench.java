package dev.smg.mesh.sim;

import com.google.protobuf.ByteString;
import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.PeerAddress;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipSettings;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.runtime.MeshNode;
import dev.smg.mesh.store.DeltaCodec;
import dev.smg.mesh.store.Namespace;
import dev.smg.mesh.transport.EnvelopeLimits;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Replication figures of real {@link MeshNode}s over gRPC on 127.0.0.1, all in one JVM: how long a
 * write at one node takes to reach every node's store, the bytes each write costs, and how long a
 * node that joins takes to hold a large store. One JVM means one clock, so arrival times need no
 * wall-clock agreement between hosts (the routers' {@code router_mesh_convergence_ms} does). All
 * nodes share this machine's CPUs: the figures are an upper bound for a real network of idle hosts
 * only as far as loopback latency stands in for the network's. Lives in mesh's test sources (not
 * in the library or smg.jar); {@code scripts/bench/convergence.sh} runs it from mesh's test classpath.
 */
public final class ConvergenceBench {
    /** Worker-like entries: LWW registers of JSON strings, as the router's worker registry writes. */
    static final Namespace<LwwRegister<ByteString>> WORKERS = new Namespace<>("workers", LwwRegister.empty());
    private static final int WARMUP_UPDATES = 20;

    /**
     * Failure-detection timings for many nodes in one JVM: twice the production period, 1.5 s probe
     * timeout, 2 s suspicion minimum. Here every node gets a fraction of two shared CPUs; on a busy
     * machine the production 400 ms probe timeout then expires for pings that were merely queued,
     * and the suspicions and refutations (each pushed to every member) feed on themselves until the
     * cluster never forms (seen at 50 nodes). Pushes of replicated writes do not depend on these
     * timings: a write goes to every ALIVE or SUSPECTED member at once.
     */
    public static final MembershipSettings ONE_JVM = relaxed(MembershipSettings.DEFAULTS);
    private static final long JOIN_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(120);

    /**
     * Spread of U updates written at one node of N.
     *
     * @param everyNodeP50Ms         per update, time until the last of the other nodes had it: median
     * @param everyNodeP99Ms         ... 99th percentile
     * @param arrivalP50Ms           per (update, node) pair, time until that node had it: median
     * @param deltaBytesPerPeer      replicated-state bytes pushed per update to each other node
     *                               (protobuf payload; anti-entropy digests and repairs excluded)
     * @param missing                (update, node) pairs that never arrived within the wait
     */
    public record Spread(int nodes, int updates, double formSeconds, double everyNodeP50Ms, double everyNodeP99Ms,
                         double everyNodeMaxMs, double arrivalP50Ms, double arrivalP99Ms, double deltaBytesPerPeer,
                         long missing) {
    }

    /**
     * A node joining a cluster whose store holds {@code entries} keys.
     *
     * @param aliveMs    from its start until it was ALIVE and saw an ALIVE peer
     * @param totalMs    from its start until its store held every entry; -1 when it never did
     * @param stateBytes    the whole store encoded as one CRDT map state, for scale (catch-up
     *                      sends it in chunks, each under the mesh's message cap)
     * @param receivedBytes replicated-state bytes the joiner had received when it was caught up
     */
    public record CatchUp(int clusterSize, int entries, double aliveMs, double totalMs, long stateBytes,
                          long receivedBytes, int held) {
    }

    private ConvergenceBench() {
    }

    /**
     * Args: node counts (comma-separated), updates, spacing ms, joiner entries (0: skip), joiner
     * cluster size, membership timings ("one-jvm" or "production").
     */
    public static void main(String[] args) {
        quietLogs();
        List<Integer> sizes = new ArrayList<>();
        for (String s : (args.length > 0 ? args[0] : "10,50").split(",")) {
            sizes.add(Integer.parseInt(s.trim()));
        }
        int updates = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Duration spacing = Duration.ofMillis(args.length > 2 ? Long.parseLong(args[2]) : 20);
        int entries = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;
        int joinCluster = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        boolean production = args.length > 5 && args[5].equals("production");
        System.out.print(report(sizes, updates, spacing, entries, joinCluster,
                production ? MembershipSettings.DEFAULTS : ONE_JVM));
    }

    /** Joins, suspicions and channel shutdowns of dozens of nodes would otherwise log a line each. */
    static void quietLogs() {
        java.util.logging.Logger.getLogger("dev.smg.mesh").setLevel(java.util.logging.Level.SEVERE);
        java.util.logging.Logger.getLogger("io.grpc").setLevel(java.util.logging.Level.SEVERE);
    }

    static String report(List<Integer> sizes, int updates, Duration spacing, int entries, int joinCluster,
                         MembershipSettings membership) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%d updates per size, one every %d ms, written at one node (after %d "
                        + "unmeasured warm-up writes). Membership: %d ms period, %d ms probe timeout%s.%n%n",
                updates, spacing.toMillis(), WARMUP_UPDATES, membership.protocolPeriod().toMillis(),
                membership.probeTimeout().toMillis(), membership.equals(MembershipSettings.DEFAULTS)
                        ? " (production defaults)" : " (relaxed for one JVM)"));
        out.append("| nodes | cluster formed in | to every node p50 | p99 | max | to one node p50 | p99 "
                + "| delta bytes per update per peer | missing |\n");
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int n : sizes) {
            System.err.printf(Locale.ROOT, "[bench] convergence: %d nodes, %d updates%n", n, updates);
            Spread s;
            try {
                s = spread(n, updates, spacing, membership);
            } catch (IllegalStateException e) {
                System.err.println("[bench] " + e.getMessage());
                out.append(String.format(Locale.ROOT, "| %d | **did not form** (see stderr) | | | | | | | |%n", n));
                continue;
            }
            out.append(String.format(Locale.ROOT, "| %d | %.1f s | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.0f | %d |%n",
                    s.nodes(), s.formSeconds(), s.everyNodeP50Ms(), s.everyNodeP99Ms(), s.everyNodeMaxMs(),
                    s.arrivalP50Ms(), s.arrivalP99Ms(), s.deltaBytesPerPeer(), s.missing()));
        }
        if (entries > 0) {
            System.err.printf(Locale.ROOT, "[bench] catch-up: %d entries, cluster of %d%n", entries, joinCluster);
            CatchUp c = catchUp(joinCluster, entries, membership);
            out.append(String.format(Locale.ROOT, "%n| joiner catch-up | value |%n|---|---:|%n"
                            + "| cluster it joins | %d nodes |%n| entries in the store | %,d |%n"
                            + "| the store as one CRDT map state | %,d bytes (message cap %,d) |%n"
                            + "| replicated-state bytes the joiner received | %,d |%n"
                            + "| start to ALIVE with an ALIVE peer | %.0f ms |%n| start to holding every entry | %s |%n"
                            + "| entries held at the end | %,d |%n",
                    c.clusterSize(), c.entries(), c.stateBytes(), EnvelopeLimits.MAX_MESSAGE_BYTES, c.receivedBytes(),
                    c.aliveMs(), c.totalMs() < 0 ? "**not within 30 s**"
                            : String.format(Locale.ROOT, "**%.0f ms**", c.totalMs()),
                    c.held()));
        }
        return out.toString();
    }

    /** Starts N nodes, waits for full membership, writes U updates at node 0 and times their spread. */
    public static Spread spread(int n, int updates, Duration spacing, MembershipSettings membership) {
        try (Cluster cluster = new Cluster(membership)) {
            long formStart = System.nanoTime();
            for (int i = 0; i < n; i++) {
                cluster.start("n" + i, i == 0 ? List.of() : List.of(cluster.nodes.get(0).port()));
            }
            long[] lastLog = {System.nanoTime()};
            if (!await(JOIN_LIMIT_NANOS, () -> {
                if (System.nanoTime() - lastLog[0] > TimeUnit.SECONDS.toNanos(5)) {
                    lastLog[0] = System.nanoTime();
                    System.err.println("[bench] waiting for full membership; ALIVE members seen per node: "
                            + cluster.nodes.stream().mapToLong(m -> m.view().count(MemberStatus.ALIVE))
                            .summaryStatistics());
                }
                return cluster.allAlive(n);
            })) {
                throw new IllegalStateException(n + " nodes did not all see each other ALIVE within "
                        + JOIN_LIMIT_NANOS / 1_000_000_000L + " s; ALIVE members seen per node: "
                        + cluster.nodes.stream().map(m -> m.view().count(MemberStatus.ALIVE)).toList()
                        + "; statuses seen by the first node: " + cluster.nodes.get(0).view().members().stream()
                        .collect(java.util.stream.Collectors.groupingBy(Member::status,
                                java.util.stream.Collectors.counting()))
                        + "; counters summed over the nodes: " + cluster.counterTotals());
            }
            double formSeconds = (System.nanoTime() - formStart) / 1e9;
            // arrivals[u * n + k]: when node k's store first published update u (0 = not yet).
            AtomicLongArray arrivals = new AtomicLongArray(updates * n);
            for (int k = 1; k < n; k++) {
                int node = k;
                cluster.nodes.get(k).store().subscribe((namespace, keys, snapshot) -> {
                    long now = System.nanoTime();
                    for (String key : keys) {
                        if (key.startsWith("u-")) {
                            arrivals.compareAndSet(Integer.parseInt(key.substring(2)) * n + node, 0, now);
                        }
                    }
                });
            }
            MeshNode writer = cluster.nodes.get(0);
            // Not measured: the first writes open the gRPC connections and run cold (interpreted) code.
            for (int w = 0; w < WARMUP_UPDATES; w++) {
                writer.store().put(WORKERS, "warm-up-" + w, ByteString.copyFromUtf8(workerJson(w)));
                LockSupport.parkNanos(spacing.toNanos());
            }
            await(TimeUnit.SECONDS.toNanos(10), () -> cluster.nodes.stream()
                    .allMatch(m -> m.store().snapshot().size(WORKERS) == WARMUP_UPDATES));
            double[] before = cluster.pushedBytes();
            long[] written = new long[updates];
            long start = System.nanoTime();
            for (int u = 0; u < updates; u++) {
                // Paced against a running deadline, so a late wake-up does not shift every later write.
                LockSupport.parkNanos(start + u * spacing.toNanos() - System.nanoTime());
                written[u] = System.nanoTime();
                writer.store().put(WORKERS, "u-" + u, ByteString.copyFromUtf8(workerJson(u)));
            }
            await(TimeUnit.SECONDS.toNanos(10), () -> {
                for (int i = 0; i < arrivals.length(); i++) {
                    if (i % n != 0 && arrivals.get(i) == 0) {
                        return false;
                    }
                }
                return true;
            });
            double[] after = cluster.pushedBytes();
            List<Long> everyNode = new ArrayList<>();
            List<Long> oneNode = new ArrayList<>();
            long missing = 0;
            for (int u = 0; u < updates; u++) {
                long last = 0;
                boolean complete = true;
                for (int k = 1; k < n; k++) {
                    long at = arrivals.get(u * n + k);
                    if (at == 0) {
                        missing++;
                        complete = false;
                        continue;
                    }
                    oneNode.add(at - written[u]);
                    last = Math.max(last, at - written[u]);
                }
                if (complete) {
                    everyNode.add(last);
                }
            }
            double pushed = (after[0] - after[1]) - (before[0] - before[1]);
            return new Spread(n, updates, formSeconds, ms(pct(everyNode, 50)), ms(pct(everyNode, 99)),
                    ms(everyNode.isEmpty() ? -1 : Collections.max(everyNode)), ms(pct(oneNode, 50)),
                    ms(pct(oneNode, 99)), n > 1 ? pushed / updates / (n - 1) : 0, missing);
        }
    }

    /**
     * Fills one node with {@code entries} keys, forms a cluster of {@code clusterSize} around it,
     * then starts one more node and times its catch-up the way a router does before it is ready:
     * wait for an ALIVE peer, ask it for its whole store, wait until that has been merged.
     */
    public static CatchUp catchUp(int clusterSize, int entries, MembershipSettings membership) {
        try (Cluster cluster = new Cluster(membership)) {
            MeshNode first = cluster.start("n0", List.of());
            for (int i = 0; i < entries; i++) {
                first.store().put(WORKERS, "w-" + i, ByteString.copyFromUtf8(workerJson(i)));
            }
            await(TimeUnit.SECONDS.toNanos(30), () -> first.store().snapshot().size(WORKERS) == entries);
            for (int i = 1; i < clusterSize; i++) {
                MeshNode node = cluster.start("n" + i, List.of(first.port()));
                await(JOIN_LIMIT_NANOS, () -> node.view().count(MemberStatus.ALIVE) > 1);
                node.catchUpFrom("n0");
            }
            await(JOIN_LIMIT_NANOS, () -> cluster.allAlive(clusterSize)
                    && cluster.nodes.stream().allMatch(m -> m.store().snapshot().size(WORKERS) == entries));
            @SuppressWarnings({"unchecked", "rawtypes"})
            long stateBytes = DeltaCodec.encode((CrdtMap) first.store().snapshot().get(WORKERS)).getSerializedSize();

            long t0 = System.nanoTime();
            MeshNode joiner = cluster.start("joiner", List.of(first.port()));
            AtomicLong merged = new AtomicLong();
            Optional<Member> peer = Optional.empty();
            while (peer.isEmpty() && System.nanoTime() - t0 < JOIN_LIMIT_NANOS) {
                peer = alivePeer(joiner.view());
                if (peer.isEmpty()) {
                    LockSupport.parkNanos(1_000_000L); // the view has no change notification: poll it
                }
            }
            double aliveMs = (System.nanoTime() - t0) / 1e6;
            // Completes once the peer's whole answer has been merged and published at the joiner.
            peer.ifPresent(p -> joiner.catchUpFrom(p.name()).thenRun(() -> merged.set(System.nanoTime())));
            boolean done = peer.isPresent() && await(TimeUnit.SECONDS.toNanos(30), () -> merged.get() != 0)
                    && joiner.store().snapshot().size(WORKERS) == entries;
            double totalMs = done ? (merged.get() - t0) / 1e6 : -1;
            long received = Math.round(cluster.bytes(cluster.registries.size() - 1, "received"));
            return new CatchUp(clusterSize, entries, aliveMs, totalMs, stateBytes, received,
                    joiner.store().snapshot().size(WORKERS));
        }
    }

    private static MembershipSettings relaxed(MembershipSettings d) {
        return new MembershipSettings(Duration.ofSeconds(2), Duration.ofMillis(1500), d.indirectProbes(),
                Duration.ofSeconds(2), d.suspicionMaxFactor(), d.suspicionConfirmations(), d.retransmitMult(),
                d.maxPiggyback(), d.reapAfter(), d.deadProbeInterval(), d.joinTimeout(), d.joinBackoffMax(),
                d.rejoinInterval(), d.leaveTimeout());
    }

    private static Optional<Member> alivePeer(MembershipView view) {
        if (view.self().status() != MemberStatus.ALIVE) {
            return Optional.empty();
        }
        return view.members().stream()
                .filter(m -> !m.name().equals(view.self().name()) && m.status() == MemberStatus.ALIVE).findFirst();
    }

    /** About the size of a worker as the router's registry stores it. */
    private static String workerJson(int i) {
        return "{\"url\":\"http://10.0." + (i / 250) + "." + (i % 250) + ":8000\",\"models\":[\"mock-model\"],"
                + "\"labels\":{},\"api_key\":null}";
    }

    /** The nodes of one measurement, each with its own metrics registry; all closed together. */
    private static final class Cluster implements AutoCloseable {
        final List<MeshNode> nodes = new ArrayList<>();
        final List<PrometheusRegistry> registries = new ArrayList<>();
        final MembershipSettings membership;

        Cluster(MembershipSettings membership) {
            this.membership = membership;
        }

        MeshNode start(String name, List<Integer> seeds) {
            MeshSettings settings = new MeshSettings(name, "127.0.0.1", "127.0.0.1", 0,
                    seeds.stream().map(p -> new PeerAddress("127.0.0.1", p)).toList());
            PrometheusRegistry registry = new PrometheusRegistry();
            MeshNode node = MeshNode.start(settings, membership, registry, List.of(WORKERS));
            nodes.add(node);
            registries.add(registry);
            return node;
        }

        boolean allAlive(int n) {
            return nodes.stream().allMatch(node -> node.view().count(MemberStatus.ALIVE) == n);
        }

        /** {all replicated-state bytes sent, of which anti-entropy}, summed over the nodes. */
        double[] pushedBytes() {
            double[] sums = new double[2];
            for (PrometheusRegistry registry : registries) {
                for (MetricSnapshot metric : registry.scrape()) {
                    if (!(metric instanceof CounterSnapshot counter)) {
                        continue;
                    }
                    String name = counter.getMetadata().getPrometheusName();
                    for (CounterSnapshot.CounterDataPointSnapshot point : counter.getDataPoints()) {
                        if (name.equals("router_mesh_bytes") && "sent".equals(point.getLabels().get("direction"))) {
                            sums[0] += point.getValue();
                        } else if (name.equals("router_mesh_sync_bytes")) {
                            sums[1] += point.getValue();
                        }
                    }
                }
            }
            return sums;
        }

        /** Replicated-state bytes node {@code index} sent or received so far ({@code direction}). */
        double bytes(int index, String direction) {
            double sum = 0;
            for (MetricSnapshot metric : registries.get(index).scrape()) {
                if (metric instanceof CounterSnapshot counter
                        && counter.getMetadata().getPrometheusName().equals("router_mesh_bytes")) {
                    for (CounterSnapshot.CounterDataPointSnapshot point : counter.getDataPoints()) {
                        if (direction.equals(point.getLabels().get("direction"))) {
                            sum += point.getValue();
                        }
                    }
                }
            }
            return sum;
        }

        /** Every counter summed over the nodes, by name and labels (peer aside): for diagnosing a failed run. */
        java.util.Map<String, Double> counterTotals() {
            java.util.Map<String, Double> totals = new java.util.TreeMap<>();
            for (PrometheusRegistry registry : registries) {
                for (MetricSnapshot metric : registry.scrape()) {
                    if (metric instanceof CounterSnapshot counter) {
                        for (CounterSnapshot.CounterDataPointSnapshot point : counter.getDataPoints()) {
                            StringBuilder key = new StringBuilder(counter.getMetadata().getPrometheusName());
                            point.getLabels().forEach(l -> {
                                if (!l.getName().equals("peer")) {
                                    key.append(',').append(l.getName()).append('=').append(l.getValue());
                                }
                            });
                            totals.merge(key.toString(), point.getValue(), Double::sum);
                        }
                    }
                }
            }
            return totals;
        }

        @Override
        public void close() {
            // In parallel: each close waits up to 2 s for its loop, and 50 of them in a row add up.
            List<Thread> closing = new ArrayList<>();
            for (MeshNode node : nodes) {
                closing.add(Thread.ofVirtual().start(node::close));
            }
            for (Thread t : closing) {
                try {
                    t.join(TimeUnit.SECONDS.toMillis(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static boolean await(long limitNanos, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limitNanos;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(5_000_000L);
        }
        return true;
    }

    private static long pct(List<Long> values, int p) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static double ms(long nanos) {
        return nanos < 0 ? -1 : nanos / 1e6;
    }
}
