package dev.smg.mesh.store;

import com.google.protobuf.ByteString;
import dev.smg.mesh.crdt.CausalContext;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.Dot;
import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.crdt.HlcTimestamp;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.crdt.OrSet;
import dev.smg.mesh.crdt.PNCounter;
import dev.smg.mesh.transport.EnvelopeLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replicated stores over a network that loses, duplicates, reorders and partitions messages:
 * eager pushes plus digest anti-entropy must leave every replica identical, a node restarted empty
 * must catch up from one peer, a joiner must receive a large store in chunks under the message cap,
 * and last-writer-wins must follow causality when wall clocks disagree by a minute.
 */
class StoreSyncClusterTest {
    private static final Namespace<LwwRegister<ByteString>> WORKERS = new Namespace<>("workers", LwwRegister.empty());
    private static final Namespace<GCounter> REQUESTS = new Namespace<>("requests", GCounter.EMPTY);
    private static final Namespace<PNCounter> TOKENS = new Namespace<>("tokens", PNCounter.EMPTY);
    private static final List<Namespace<?>> ALL = List.of(WORKERS, REQUESTS, TOKENS);

    private final LossyStoreCluster cluster = new LossyStoreCluster();
    private final ScheduledExecutorService rounds = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        rounds.shutdownNow();
        cluster.close();
    }

    /** What a reader sees: live keys and their values, per namespace. */
    private static Map<String, Map<String, Object>> view(ReplicatedStore store) {
        Map<String, Map<String, Object>> view = new TreeMap<>();
        store.snapshot().namespaces().forEach((ns, map) -> {
            Map<String, Object> live = new TreeMap<>();
            for (String key : map.keySet()) {
                live.put(key, map.values().get(key));
            }
            view.put(ns, live);
        });
        return view;
    }

    private boolean allEqual() {
        List<LossyStoreCluster.Node> nodes = cluster.nodes();
        Map<String, Map<String, Object>> first = view(nodes.get(0).store);
        return nodes.stream().allMatch(n -> view(n.store).equals(first));
    }

    @Test
    void fiveReplicasEndIdenticalAfterLossDuplicationReorderingAndAHealedPartition() {
        for (int i = 1; i <= 5; i++) {
            cluster.add("n" + i, ALL);
        }
        cluster.faults(0.10, 0.10, 20);
        rounds.scheduleWithFixedDelay(cluster::antiEntropy, 50, 50, TimeUnit.MILLISECONDS);
        Random random = new Random(7);
        List<LossyStoreCluster.Node> nodes = cluster.nodes();
        long increments = 0;
        for (int op = 0; op < 600; op++) {
            if (op == 200) {
                applied(nodes);
                cluster.partition(List.of("n1", "n2"), List.of("n3", "n4", "n5"));
            } else if (op == 400) {
                applied(nodes);
                // The two sides saw different writes (the partition really held), then it heals.
                assertFalse(view(cluster.node("n1").store).equals(view(cluster.node("n5").store)));
                cluster.heal();
            }
            ReplicatedStore store = nodes.get(random.nextInt(nodes.size())).store;
            String replica = store.replica();
            switch (random.nextInt(4)) {
                case 0 -> store.put(WORKERS, "w" + random.nextInt(40), ByteString.copyFromUtf8("spec-" + op));
                case 1 -> store.remove(WORKERS, "w" + random.nextInt(40));
                case 2 -> {
                    store.update(REQUESTS, "c" + random.nextInt(8), c -> c.incrementDelta(replica, 1));
                    increments++;
                }
                default -> {
                    long amount = random.nextInt(11) - 5;
                    store.update(TOKENS, "bucket", p -> p.addDelta(replica, amount));
                }
            }
        }
        long expected = increments;
        // Identical everywhere, and holding every increment (not merely equal while still empty).
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> allEqual() && requests(nodes.get(0).store) == expected);
        assertEquals(increments, requests(nodes.get(4).store), "no increment lost or counted twice");
    }

    /** Waits until every write offered so far has been applied at its origin. */
    private static void applied(List<LossyStoreCluster.Node> nodes) {
        for (LossyStoreCluster.Node n : nodes) {
            java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
            n.store.afterPending(() -> done.complete(null));
            done.orTimeout(10, TimeUnit.SECONDS).join();
        }
    }

    private static long requests(ReplicatedStore store) {
        long counted = 0;
        for (Object c : view(store).get("requests").values()) {
            counted += ((GCounter) c).value();
        }
        return counted;
    }

    @Test
    void aNodeRestartedEmptyCatchesUpFromOnePeer() throws Exception {
        LossyStoreCluster.Node a = cluster.add("a", ALL);
        cluster.add("b", ALL);
        for (int i = 0; i < 200; i++) {
            a.store.put(WORKERS, "w" + i, ByteString.copyFromUtf8("spec-" + i));
        }
        for (int i = 0; i < 50; i += 2) {
            a.store.remove(WORKERS, "w" + i);
        }
        a.store.update(REQUESTS, "total", c -> c.incrementDelta(a.store.replica(), 42));
        await().atMost(Duration.ofSeconds(10)).until(() -> a.store.snapshot().size(WORKERS) == 175
                && a.store.snapshot().size(REQUESTS) == 1 && allEqual());

        cluster.remove("b");
        LossyStoreCluster.Node b = cluster.add("b", ALL); // same name, new incarnation, empty
        assertTrue(view(b.store).get("workers").isEmpty());
        b.sync.catchUpFrom("a").get(10, TimeUnit.SECONDS);
        assertEquals(view(a.store), view(b.store));
        assertEquals(175, b.store.snapshot().size(WORKERS));
        // Caught up whole (a small namespace travels with its full context): no holes left to fill.
        assertEquals(a.store.snapshot().get(WORKERS).keys().context(), b.store.snapshot().get(WORKERS).keys().context());
        assertTrue(b.store.snapshot().get(WORKERS).keys().context().cloud().isEmpty());

        // Its new writes do not collide with its old identity's: they reach the peer.
        b.store.put(WORKERS, "w-new", ByteString.copyFromUtf8("after restart"));
        await().atMost(Duration.ofSeconds(10)).until(() -> a.store.snapshot().get(WORKERS).get("w-new").isPresent());
    }

    @Test
    void aJoinerReceivesTenThousandWorkersInChunksUnderTheMessageCap() throws Exception {
        LossyStoreCluster.Node a = cluster.add("a", ALL);
        a.store.mergeRemote("workers", workers(10_000));
        await().atMost(Duration.ofSeconds(10)).until(() -> a.store.snapshot().size(WORKERS) == 10_000);

        LossyStoreCluster.Node joiner = cluster.add("joiner", ALL);
        long before = cluster.repairMessages();
        joiner.sync.catchUpFrom("a").get(30, TimeUnit.SECONDS);
        assertEquals(10_000, joiner.store.snapshot().size(WORKERS));
        assertEquals(view(a.store), view(joiner.store));
        assertTrue(cluster.repairMessages() - before >= 3, "sent in several chunks");
        assertTrue(cluster.largestMessage() < EnvelopeLimits.MAX_MESSAGE_BYTES,
                "largest message " + cluster.largestMessage() + " bytes");
    }

    /** 10,000 worker-like entries as one delta from a replica "seed" (built directly: fast). */
    private static CrdtMap<String, LwwRegister<ByteString>> workers(int n) {
        Map<String, Set<Dot>> entries = new HashMap<>();
        Map<String, LwwRegister<ByteString>> values = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String key = "http://10.0." + (i / 250) + "." + (i % 250) + ":8000";
            entries.put(key, Set.of(new Dot("seed", i + 1)));
            values.put(key, new LwwRegister<>(ByteString.copyFromUtf8("{\"url\":\"" + key + "\",\"models\":[\"llama-3-70b-instruct\"],"
                    + "\"labels\":{\"zone\":\"eu-west-1a\",\"pool\":\"default\"}}"), new HlcTimestamp(1_000 + i, 0, "seed")));
        }
        return new CrdtMap<>(new OrSet<>(entries, new CausalContext(Map.of("seed", (long) n), Set.of())), values);
    }

    @Test
    void lastWriterWinsFollowsCausalityWhenWallClocksDisagreeByAMinute() {
        LossyStoreCluster.Node ahead = cluster.add("ahead", ALL, () -> System.currentTimeMillis() + 60_000);
        LossyStoreCluster.Node behind = cluster.add("behind", ALL);
        ahead.store.put(WORKERS, "w", ByteString.copyFromUtf8("first"));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                behind.store.snapshot().get(WORKERS).get("w").map(LwwRegister::value).orElse(ByteString.EMPTY)
                        .toStringUtf8().equals("first"));
        // Written after seeing "first": must win although this host's clock is a minute behind.
        behind.store.put(WORKERS, "w", ByteString.copyFromUtf8("second"));
        for (LossyStoreCluster.Node n : List.of(ahead, behind)) {
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    n.store.snapshot().get(WORKERS).get("w").map(LwwRegister::value).orElse(ByteString.EMPTY)
                            .toStringUtf8().equals("second"));
        }
    }

    @Test
    void valuesOfRemovedKeysAreCollectedWithoutChangingAnyView() {
        LossyStoreCluster.Node a = cluster.add("a", ALL);
        for (int i = 0; i < 100; i++) {
            a.store.put(WORKERS, "w" + i, ByteString.copyFromUtf8("spec"));
        }
        for (int i = 0; i < 100; i++) {
            a.store.remove(WORKERS, "w" + i);
        }
        a.store.put(WORKERS, "kept", ByteString.copyFromUtf8("spec"));
        await().atMost(Duration.ofSeconds(10)).until(() -> a.store.snapshot().size(WORKERS) == 1);
        Map<String, Map<String, Object>> before = view(a.store);
        assertEquals(101, a.store.snapshot().get(WORKERS).values().size());
        a.store.collectGarbage();
        await().atMost(Duration.ofSeconds(10)).until(() -> a.store.snapshot().get(WORKERS).values().size() == 1);
        assertEquals(100, a.store.collected());
        assertEquals(before, view(a.store));
        assertFalse(a.store.snapshot().get(WORKERS).values().containsKey("w0"));
    }
}
