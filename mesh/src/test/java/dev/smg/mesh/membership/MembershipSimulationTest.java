package dev.smg.mesh.membership;

import dev.smg.mesh.sim.SimulatedCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole clusters of SWIM nodes on a simulated clock and network (deterministic: fixed seeds), so
 * minutes of protocol time run in milliseconds and every run is repeatable.
 */
class MembershipSimulationTest {
    private static final long SECOND = 1_000_000_000L;
    private static final MembershipSettings SETTINGS = MembershipSettings.DEFAULTS;

    private static SimulatedCluster formed(long seed, int n) {
        SimulatedCluster cluster = new SimulatedCluster(seed, SETTINGS);
        cluster.startAll(n);
        assertTrue(cluster.network().runUntil(cluster::converged, 30 * SECOND), "cluster of " + n + " did not form");
        return cluster;
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 10, 50})
    void nodesJoinThroughASeedAndAllSeeEachOtherAlive(int n) {
        SimulatedCluster cluster = formed(n, n);
        for (String node : cluster.running()) {
            assertEquals(n, cluster.node(node).view().count(MemberStatus.ALIVE), node);
        }
    }

    /**
     * Every node started at once and given every other as a seed (`make run`, a systemd fleet): joins
     * cross, INIT nodes accept each other's joins, and a node can learn of a member only from a join
     * reply that lacked it. Each forms within seconds, not at the 30 s rejoin tick.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void nodesStartedTogetherWithEachOtherAsSeedsFormAtOnce(long seed) {
        SimulatedCluster cluster = new SimulatedCluster(seed, SETTINGS);
        cluster.network().setDelay(100_000, 20_000_000); // up to 20 ms: joins overtake each other
        List<String> names = List.of("n0", "n1", "n2", "n3", "n4");
        for (String name : names) {
            cluster.start(name, names.stream().filter(n -> !n.equals(name)).toList());
        }
        assertTrue(cluster.network().runUntil(cluster::converged, 10 * SECOND), "not one cluster within 10 s");
    }

    @Test
    void aNodeJoinsThroughTheNextSeedWhenTheFirstIsDown() {
        SimulatedCluster cluster = formed(7, 2);
        // "ghost" was never started: its address swallows the join, so n2 must move on to n1.
        cluster.start("n2", List.of("ghost", "n1"));
        assertEquals(MemberStatus.INIT, cluster.node("n2").view().self().status(), "INIT until joined");
        assertTrue(cluster.network().runUntil(cluster::converged, 20 * SECOND));
    }

    @Test
    void aNodeWithSeedsStaysInitUntilOneAnswers() {
        SimulatedCluster cluster = new SimulatedCluster(3, SETTINGS);
        cluster.start("n1", List.of("n0"));
        cluster.network().runFor(20 * SECOND);
        assertEquals(MemberStatus.INIT, cluster.node("n1").view().self().status());
        cluster.start("n0", List.of());
        assertTrue(cluster.network().runUntil(cluster::converged, 20 * SECOND), "joined once the seed came up");
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 10, 50})
    void aCrashedNodeIsSuspectedThenDownEverywhere(int n) {
        SimulatedCluster cluster = formed(100 + n, n);
        Map<String, List<MemberStatus>> seenByObserver = new HashMap<>();
        cluster.observeStatusChanges((observer, change) -> {
            if (change[1].name().equals("n1")) {
                seenByObserver.computeIfAbsent(observer, k -> new ArrayList<>()).add(change[1].status());
            }
        });
        cluster.crash("n1");
        assertTrue(cluster.network().runUntil(() -> cluster.allSee("n1", MemberStatus.DOWN), 30 * SECOND));
        assertEquals(n - 1, seenByObserver.size());
        // Somebody saw the suspicion before the verdict; nobody jumped from ALIVE to DOWN unseen by all.
        assertTrue(seenByObserver.values().stream().anyMatch(s -> s.contains(MemberStatus.SUSPECTED)));
        seenByObserver.values().forEach(s -> assertEquals(MemberStatus.DOWN, s.get(s.size() - 1)));
    }

    @Test
    void gracefulLeaveIsSeenAsLeavingByEveryPeerBeforeTheNodeExits() {
        SimulatedCluster cluster = formed(11, 5);
        AtomicBoolean left = new AtomicBoolean();
        AtomicInteger leavingAtExit = new AtomicInteger();
        cluster.node("n3").leave(() -> {
            for (String observer : cluster.running()) {
                if (!observer.equals("n3") && cluster.statusAt(observer, "n3").orElse(null) == MemberStatus.LEAVING) {
                    leavingAtExit.incrementAndGet();
                }
            }
            left.set(true);
        });
        assertTrue(cluster.network().runUntil(left::get, 10 * SECOND));
        assertEquals(4, leavingAtExit.get(), "every peer had the announcement when the node exited");
        cluster.crash("n3");
        cluster.network().runFor(30 * SECOND);
        assertTrue(cluster.allSee("n3", MemberStatus.LEAVING), "LEAVING is not turned into DOWN");
    }

    /**
     * A node that left and came back under its name, still INIT, accepts a join from a peer that
     * holds it LEAVING: the join exchange alone carries no record that makes it refute, so the peer
     * tells it when it next hears from it, instead of ignoring it until the LEAVING record is reaped.
     */
    @Test
    void aNodeBackFromALeaveThatIsJoinedByAPeerRefutesItsLeavingRecord() {
        SimulatedCluster cluster = formed(47, 3);
        AtomicBoolean left = new AtomicBoolean();
        cluster.leave("n2", () -> left.set(true));
        assertTrue(cluster.network().runUntil(left::get, 10 * SECOND));
        assertTrue(cluster.allSee("n2", MemberStatus.LEAVING));
        cluster.network().runFor(10 * SECOND); // the leave's retransmits run out
        cluster.start("n2", List.of()); // no seeds: it learns of the cluster only from the join it accepts
        discover(cluster, "n0", "n2");
        assertTrue(cluster.network().runUntil(cluster::converged, 5 * SECOND), "n2 ALIVE everywhere again");
    }

    @Test
    void aFalseSuspicionIsRefutedByRaisingTheIncarnation() {
        SimulatedCluster cluster = formed(13, 5);
        long before = cluster.node("n2").view().self().incarnation();
        AtomicBoolean sawDown = new AtomicBoolean();
        AtomicBoolean sawSuspect = new AtomicBoolean();
        cluster.observeStatusChanges((observer, change) -> {
            if (change[1].name().equals("n2")) {
                sawDown.compareAndSet(false, change[1].status() == MemberStatus.DOWN);
                sawSuspect.compareAndSet(false, change[1].status() == MemberStatus.SUSPECTED);
            }
        });
        // n2 is cut off just long enough to be suspected, not long enough to be declared down.
        cluster.network().partition(Set.of(SimulatedCluster.address("n2")),
                Set.of("n0", "n1", "n3", "n4").stream().map(SimulatedCluster::address).collect(
                        java.util.stream.Collectors.toSet()));
        assertTrue(cluster.network().runUntil(sawSuspect::get, 20 * SECOND));
        cluster.network().heal();
        assertTrue(cluster.network().runUntil(cluster::converged, 20 * SECOND));
        assertFalse(sawDown.get(), "refuted before anyone declared it DOWN");
        assertTrue(cluster.node("n2").view().self().incarnation() > before);
    }

    @Test
    void aNodeRestartedUnderTheSameNameIsAliveAgain() {
        SimulatedCluster cluster = formed(17, 4);
        cluster.crash("n2");
        assertTrue(cluster.network().runUntil(() -> cluster.allSee("n2", MemberStatus.DOWN), 30 * SECOND));
        cluster.restart("n2");
        assertTrue(cluster.network().runUntil(cluster::converged, 20 * SECOND), "restarted node is ALIVE everywhere");
    }

    @Test
    void aThreeTwoPartitionHealsIntoOneAliveView() {
        SimulatedCluster cluster = formed(19, 5);
        Set<String> majority = Set.of("n0:7000", "n1:7000", "n2:7000");
        Set<String> minority = Set.of("n3:7000", "n4:7000");
        cluster.network().partition(majority, minority);
        assertTrue(cluster.network().runUntil(() -> cluster.statusAt("n0", "n3").orElse(null) == MemberStatus.DOWN
                && cluster.statusAt("n4", "n1").orElse(null) == MemberStatus.DOWN, 60 * SECOND), "sides split");
        cluster.network().runFor(10 * SECOND);
        cluster.network().heal();
        assertTrue(cluster.network().runUntil(cluster::converged, 30 * SECOND), "one ALIVE view after the heal");
    }

    /**
     * After a long split every side holds the other DOWN and has stopped gossiping those verdicts
     * (their retransmits ran out), and each node re-contacts only one DOWN member per period. A node
     * that hears from a member it holds DOWN tells it at once, so the heal takes a few round trips,
     * not one re-contact per DOWN member in turn.
     */
    @ParameterizedTest
    @ValueSource(longs = {29, 31, 37, 41, 43})
    void aLongThreeFourSplitHealsWithinASecond(long seed) {
        SimulatedCluster cluster = formed(seed, 7);
        Set<String> a = Set.of("n0:7000", "n1:7000", "n2:7000");
        Set<String> b = Set.of("n3:7000", "n4:7000", "n5:7000", "n6:7000");
        cluster.network().partition(a, b);
        assertTrue(cluster.network().runUntil(() -> cluster.statusAt("n0", "n6").orElse(null) == MemberStatus.DOWN
                && cluster.statusAt("n6", "n0").orElse(null) == MemberStatus.DOWN, 60 * SECOND), "sides split");
        cluster.network().runFor(30 * SECOND);
        cluster.network().heal();
        long healed = cluster.network().now();
        assertTrue(cluster.network().runUntil(cluster::converged, 30 * SECOND), "one ALIVE view after the heal");
        long took = cluster.network().now() - healed;
        System.out.printf("seed %d: 3+4 split healed in %d ms of simulated time%n", seed, took / 1_000_000);
        assertTrue(took <= SECOND, "healed in " + took / 1_000_000 + " ms of simulated time");
    }

    @Test
    void tenPercentMessageLossDeclaresNoLiveMemberDown() {
        SimulatedCluster cluster = formed(23, 10);
        AtomicInteger falseDowns = new AtomicInteger();
        cluster.observeStatusChanges((observer, change) -> {
            if (change[1].status() == MemberStatus.DOWN) {
                falseDowns.incrementAndGet();
            }
        });
        cluster.network().setLossRate(0.10);
        cluster.network().runFor(Duration.ofMinutes(10).toNanos());
        assertEquals(0, falseDowns.get(), "live members declared DOWN under 10% loss");
        cluster.network().setLossRate(0);
        assertTrue(cluster.network().runUntil(cluster::converged, 10 * SECOND));
    }

    @Test
    void duplicatedAndReorderedMessagesChangeNothing() {
        SimulatedCluster cluster = formed(29, 5);
        cluster.network().setDuplicateRate(0.3);
        cluster.network().setDelay(100_000, 300_000_000); // up to 300 ms: heavy reordering
        cluster.network().runFor(Duration.ofMinutes(2).toNanos());
        assertTrue(cluster.converged());
    }

    @Test
    void downMembersAreForgottenAfterTheReapTime() {
        SimulatedCluster cluster = formed(31, 4);
        cluster.crash("n3");
        assertTrue(cluster.network().runUntil(() -> cluster.allSee("n3", MemberStatus.DOWN), 30 * SECOND));
        cluster.network().runFor(SETTINGS.reapAfter().toNanos() + 5 * SECOND);
        for (String observer : cluster.running()) {
            assertTrue(cluster.node(observer).view().member("n3").isEmpty(), observer + " still lists n3");
        }
    }

    // ------------------------------------------------------------------ discovered peers (Kubernetes)

    private static void discover(SimulatedCluster cluster, String node, String... peers) {
        Set<String> addresses = new java.util.HashSet<>();
        for (String peer : peers) {
            addresses.add(SimulatedCluster.address(peer));
        }
        cluster.node(node).setDiscoveredPeers(addresses);
    }

    @Test
    void seedlessNodesThatDiscoverEachOtherMergeIntoOneClusterAtOnce() {
        SimulatedCluster cluster = new SimulatedCluster(37, SETTINGS);
        for (String n : List.of("n0", "n1", "n2")) {
            cluster.start(n, List.of());
        }
        cluster.network().runFor(5 * SECOND);
        assertFalse(cluster.converged(), "without seeds every node is a cluster of one");
        // Each pod sees the others (and itself, which it skips) in its own time.
        discover(cluster, "n0", "n0", "n1", "n2");
        discover(cluster, "n1", "n0", "n1", "n2");
        discover(cluster, "n2", "n0", "n1", "n2");
        assertTrue(cluster.network().runUntil(cluster::converged, SECOND),
                "joined within a second, not at the next rejoin tick");
    }

    @Test
    void oneSidedDiscoveryIsEnoughToMerge() {
        SimulatedCluster cluster = new SimulatedCluster(41, SETTINGS);
        cluster.start("n0", List.of());
        cluster.start("n1", List.of());
        cluster.start("n2", List.of());
        discover(cluster, "n2", "n0", "n1"); // n0 and n1 see nobody (e.g. their watch is still reconnecting)
        assertTrue(cluster.network().runUntil(cluster::converged, 5 * SECOND));
    }

    @Test
    void anInitNodeJoinsADiscoveredPeerWithoutWaitingForItsSeeds() {
        SimulatedCluster cluster = formed(43, 2);
        cluster.start("n2", List.of("ghost"));
        assertEquals(MemberStatus.INIT, cluster.node("n2").view().self().status());
        discover(cluster, "n2", "n1");
        assertTrue(cluster.network().runUntil(cluster::converged, SETTINGS.joinTimeout().toNanos() / 2),
                "joined before the unanswered seed even timed out");
    }

    @Test
    void aDiscoveredPeerThatWasNotListeningYetIsJoinedOnceItIs() {
        SimulatedCluster cluster = new SimulatedCluster(47, SETTINGS);
        cluster.start("n0", List.of());
        discover(cluster, "n0", "n1"); // the pod is Running, its mesh port not yet open: the join is lost
        cluster.network().runFor(2 * SECOND);
        cluster.start("n1", List.of()); // and n1 itself discovers nobody
        assertTrue(cluster.network().runUntil(cluster::converged, 6 * SECOND), "a retry, not the 30 s rejoin");
    }

    @Test
    void aDiscoveredPeerSilentForLongIsLeftToTheRejoinTick() {
        SimulatedCluster cluster = new SimulatedCluster(59, SETTINGS);
        cluster.start("n0", List.of());
        discover(cluster, "n0", "n1");
        long before = cluster.network().messagesSent();
        cluster.network().runFor(20 * SECOND);
        assertTrue(cluster.network().messagesSent() - before <= 6, "a few retries, then quiet: "
                + (cluster.network().messagesSent() - before));
        cluster.start("n1", List.of());
        assertTrue(cluster.network().runUntil(cluster::converged, SETTINGS.rejoinInterval().toNanos()));
    }

    @Test
    void aPeerDroppedByDiscoveryIsNotDownWhileItAnswers() {
        SimulatedCluster cluster = new SimulatedCluster(53, SETTINGS);
        for (String n : List.of("n0", "n1", "n2")) {
            cluster.start(n, List.of());
        }
        for (String n : List.of("n0", "n1", "n2")) {
            discover(cluster, n, "n0", "n1", "n2");
        }
        assertTrue(cluster.network().runUntil(cluster::converged, 2 * SECOND));
        // The API server no longer lists n2 (say its pod is terminating), but n2 still answers.
        discover(cluster, "n0", "n0", "n1");
        discover(cluster, "n1", "n0", "n1");
        cluster.network().runFor(2 * SETTINGS.rejoinInterval().toNanos());
        assertTrue(cluster.converged(), "n2 stays ALIVE: only SWIM declares a member DOWN");
        cluster.crash("n2");
        assertTrue(cluster.network().runUntil(() -> cluster.allSee("n2", MemberStatus.DOWN), 30 * SECOND));
    }
}
