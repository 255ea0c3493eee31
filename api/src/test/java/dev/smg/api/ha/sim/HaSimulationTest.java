package dev.smg.api.ha.sim;

import dev.smg.router.breaker.CircuitBreaker;
import dev.smg.router.policy.ManualPolicy;
import dev.smg.router.policy.RoutingRequest;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.tree.TreeInsert;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerStatus;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HA layer of 3 to 7 routers in the deterministic simulator: the real WorkerSync, PolicySync,
 * TreeSync, SessionSync, ClusterRateLimit and StartupSync, over the real membership, store and
 * anti-entropy, on a simulated network that loses, duplicates, reorders and partitions messages, with
 * routers that crash and restart empty. Every run is seeded (the seed is the test's parameter, so a
 * failure replays exactly) and takes minutes of cluster time in well under a second.
 */
class HaSimulationTest {
    private static final Duration FORM = Duration.ofSeconds(30);
    /** The routers' INFO lines (joins, catch-ups) would bury a failure; they are the simulator's noise here. */
    private static final Logger ROUTER_LOGS = Logger.getLogger("dev.smg");
    private static Level routerLogLevel;

    @BeforeAll
    static void quietRouters() {
        routerLogLevel = ROUTER_LOGS.getLevel();
        ROUTER_LOGS.setLevel(Level.SEVERE);
    }

    @AfterAll
    static void restoreRouterLogs() {
        ROUTER_LOGS.setLevel(routerLogLevel);
    }

    private static HaSimulation formed(long seed, int routers, double rateLimit) {
        HaSimulation sim = new HaSimulation(seed, rateLimit);
        for (int i = 0; i < routers; i++) {
            sim.start("r" + i);
        }
        assertTrue(sim.runUntil(sim::formed, FORM), "cluster did not form");
        return sim;
    }

    /** Loss, duplication and delays from 0.2 to 30 ms (so messages overtake each other). */
    private static void faulty(HaSimulation sim) {
        sim.network.setLossRate(0.10);
        sim.network.setDuplicateRate(0.05);
        sim.network.setDelay(200_000, 30_000_000);
    }

    private static void clean(HaSimulation sim) {
        sim.network.setLossRate(0);
        sim.network.setDuplicateRate(0);
        sim.network.setDelay(200_000, 2_000_000);
    }

    private static void noFailures(HaSimulation sim) {
        assertTrue(sim.failures.isEmpty(), () -> "tasks failed on a router's loop: " + sim.failures);
    }

    // ------------------------------------------------------------------ observations

    private static Set<String> registered(SimulatedRouter r) {
        return r.registry.snapshot().stream().map(w -> w.url().toString()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> replicated(SimulatedRouter r) {
        return r.ha.workers().clusterWorkers().stream().map(row -> (String) row.get("url"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Every live router holds the same workers, and its registry is what its store says. */
    private static boolean workersAgree(HaSimulation sim) {
        Set<String> first = replicated(sim.live().get(0));
        return sim.live().stream().allMatch(r -> replicated(r).equals(first) && registered(r).equals(first));
    }

    /** Per router, what its registry and its store hold beyond the first router's store. */
    private static List<String> disagreement(HaSimulation sim) {
        Set<String> reference = replicated(sim.live().get(0));
        List<String> out = new ArrayList<>();
        for (SimulatedRouter r : sim.live()) {
            Set<String> reg = registered(r);
            Set<String> rep = replicated(r);
            out.add(r.name + ": registry+" + minus(reg, reference) + " registry-" + minus(reference, reg)
                    + " store+" + minus(rep, reference) + " store-" + minus(reference, rep));
        }
        return out;
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.removeAll(b);
        return out;
    }

    private static Map<String, WorkerStatus> statuses(SimulatedRouter r) {
        Map<String, WorkerStatus> out = new TreeMap<>();
        r.registry.snapshot().forEach(w -> out.put(w.url().toString(), w.status()));
        return out;
    }

    private static Set<String> treeEntries(CacheIndex index) {
        Set<String> out = new TreeSet<>();
        index.trees().forEach((model, tree) -> tree.forEachEntry((path, tenant, stamp, origin) ->
                out.add(model + "|" + tenant + "|" + stamp + "|" + Arrays.toString(path))));
        return out;
    }

    private static Map<String, String> sessions(SimulatedRouter r) {
        Map<String, String> out = new TreeMap<>();
        ((ManualPolicy) r.policies.forModel(SimulatedRouter.STICKY_MODEL)).liveSessions()
                .forEach((key, placement) -> out.put(key, placement.workerUrl()));
        return out;
    }

    private static WorkerUrl url(int i) {
        return WorkerUrl.parse("http://10.1.0." + (i % 250) + ":" + (8000 + i / 250));
    }

    // ------------------------------------------------------------------ scenarios

    @ParameterizedTest(name = "seed {0}, {1} routers")
    @CsvSource({"1, 3", "2, 5", "3, 5", "4, 7", "5, 7"})
    void workersVerdictsAndBreakersConvergeUnderLossDuplicationAndReordering(long seed, int routers) {
        HaSimulation sim = formed(seed, routers, 0);
        SplittableRandom random = new SplittableRandom(seed);
        faulty(sim);
        List<Integer> added = new ArrayList<>();
        for (int op = 0; op < 200; op++) {
            SimulatedRouter at = sim.live().get(random.nextInt(sim.live().size()));
            int choice = random.nextInt(10);
            if (choice < 5 || added.isEmpty()) {
                int w = random.nextInt(60);
                if (at.registry.find(url(w)).isEmpty()) {
                    at.registry.add(WorkerSpec.of(url(w)));
                    added.add(w);
                }
            } else if (choice < 7) {
                at.registry.find(url(added.get(random.nextInt(added.size()))))
                        .ifPresent(w -> at.registry.remove(w.id()));
            } else {
                // This router's own probe reached a verdict (what the health checker does).
                Optional<Worker> w = at.registry.find(url(added.get(random.nextInt(added.size()))));
                w.ifPresent(worker -> {
                    Worker.StatusChange change = worker.recordProbe(random.nextBoolean(), 1, 1);
                    if (change.changed()) {
                        at.registry.healthChanged(worker, change);
                    }
                });
            }
            sim.runFor(Duration.ofMillis(random.nextInt(300)));
        }
        clean(sim);
        assertTrue(sim.runUntil(() -> workersAgree(sim), Duration.ofSeconds(30)),
                () -> "workers differ: " + disagreement(sim));
        // Health: every router adopts the latest verdict, wherever it was reached.
        assertTrue(sim.runUntil(() -> sim.live().stream().map(HaSimulationTest::statuses).distinct().count() == 1,
                Duration.ofSeconds(30)), () -> "statuses differ: "
                + sim.live().stream().map(r -> r.name + "=" + statuses(r)).toList());
        // A breaker that opens at one router opens at every router.
        SimulatedRouter opener = sim.live().get(random.nextInt(sim.live().size()));
        Worker target = opener.registry.snapshot().get(0);
        target.breaker().forceOpen();
        assertTrue(sim.runUntil(() -> sim.live().stream().allMatch(r -> r.registry.find(target.url())
                .map(w -> w.breaker().state() == CircuitBreaker.State.OPEN).orElse(false)),
                Duration.ofSeconds(10)), "breaker opening not adopted everywhere");
        noFailures(sim);
    }

    /** Per router, the worker's weight in its registry and in its replicated table (/ha/workers), "-" if absent. */
    private static Map<String, String> weights(HaSimulation sim, WorkerUrl url) {
        Map<String, String> out = new TreeMap<>();
        for (SimulatedRouter r : sim.live()) {
            String local = r.registry.find(url).map(w -> String.valueOf(w.weight())).orElse("-");
            String table = r.ha.workers().clusterWorkers().stream().filter(row -> row.get("url").equals(url.toString()))
                    .map(row -> String.valueOf(row.get("weight"))).findFirst().orElse("-");
            out.put(r.name, local + "/" + table);
        }
        return out;
    }

    private static boolean weightEverywhere(HaSimulation sim, WorkerUrl url, int weight) {
        return weights(sim, url).values().stream().allMatch(w -> w.equals(weight + "/" + weight));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {51, 52, 53})
    void weightsReachEveryRouterAndAConflictingWeightIsTakenInPlace(long seed) {
        HaSimulation sim = formed(seed, 3, 0);
        faulty(sim);
        SimulatedRouter r0 = sim.router("r0");
        SimulatedRouter r1 = sim.router("r1");
        r0.registry.add(WorkerSpec.of(url(1), 3));
        assertTrue(sim.runUntil(() -> weightEverywhere(sim, url(1), 3), Duration.ofSeconds(30)),
                () -> "weights: " + weights(sim, url(1)));
        // Re-registered elsewhere with another weight (removed, then added again): the new weight everywhere.
        r1.registry.remove(r1.registry.find(url(1)).orElseThrow().id());
        r1.registry.add(WorkerSpec.of(url(1), 5));
        assertTrue(sim.runUntil(() -> weightEverywhere(sim, url(1), 5), Duration.ofSeconds(30)),
                () -> "weights: " + weights(sim, url(1)));

        // Two sides of a partition register one URL with different weights: the later registration wins
        // everywhere, and on the side that loses the weight changes in place (same worker, same in-flight count).
        clean(sim);
        sim.network.partition(Set.of(HaSimulation.address("r0")),
                Set.of(HaSimulation.address("r1"), HaSimulation.address("r2")));
        Worker loser = r0.registry.add(WorkerSpec.of(url(2), 2));
        sim.runFor(Duration.ofSeconds(1));
        sim.router("r2").registry.add(WorkerSpec.of(url(2), 9));
        sim.runFor(Duration.ofSeconds(1));
        Worker.Lease inFlight = loser.acquire();
        sim.network.heal();
        assertTrue(sim.runUntil(() -> sim.formed() && weightEverywhere(sim, url(2), 9), FORM),
                () -> "weights: " + weights(sim, url(2)));
        assertTrue(r0.registry.find(url(2)).orElseThrow() == loser, "the worker was replaced, not reweighed");
        assertEquals(1, loser.inFlight());
        inFlight.close();
        noFailures(sim);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13})
    void partitionedSidesKeepWritingAndAgreeAfterTheHeal(long seed) {
        HaSimulation sim = formed(seed, 5, 0);
        Set<String> small = Set.of(HaSimulation.address("r0"), HaSimulation.address("r1"));
        Set<String> large = Set.of(HaSimulation.address("r2"), HaSimulation.address("r3"),
                HaSimulation.address("r4"));
        sim.network.partition(small, large);
        for (int i = 0; i < 20; i++) {
            sim.router("r" + (i % 2)).registry.add(WorkerSpec.of(url(i)));
            sim.router("r" + (2 + i % 3)).registry.add(WorkerSpec.of(url(100 + i)));
            sim.runFor(Duration.ofMillis(500));
        }
        sim.runFor(Duration.ofSeconds(20));
        sim.network.heal();
        assertTrue(sim.runUntil(sim::formed, FORM), "the sides did not find each other again");
        assertTrue(sim.runUntil(() -> workersAgree(sim) && registered(sim.router("r0")).size() == 40,
                Duration.ofSeconds(30)), () -> "after the heal: "
                + sim.live().stream().map(r -> r.name + "=" + registered(r).size()).toList());
        noFailures(sim);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22, 23})
    void aPolicyConfiguredOnANewRouterReachesEveryRouter(long seed) {
        HaSimulation sim = formed(seed, 3, 0);
        faulty(sim);
        sim.start("r3", "round_robin"); // a rolling upgrade that changes --policy: the upgraded router wins
        assertTrue(sim.runUntil(() -> sim.live().stream()
                        .allMatch(r -> r.policies.defaultPolicy().name().equals("round_robin")),
                Duration.ofSeconds(60)), () -> "policies: " + sim.live().stream()
                .map(r -> r.name + "=" + r.policies.defaultPolicy().name()).toList());
        noFailures(sim);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {31, 32, 33})
    void rateLimitSharesFollowEachRoutersTraffic(long seed) {
        HaSimulation sim = formed(seed, 3, 300);
        // r0 is offered 200 requests per second, r1 100, r2 none, for 10 simulated seconds.
        offer(sim, sim.router("r0"), Duration.ofMillis(5), 2_000);
        offer(sim, sim.router("r1"), Duration.ofMillis(10), 1_000);
        sim.runFor(Duration.ofSeconds(8));
        double[] shares = sim.live().stream().mapToDouble(r -> share(r)).toArray();
        assertEquals(1.0, Arrays.stream(shares).sum(), 0.05, () -> "shares " + Arrays.toString(shares));
        assertTrue(shares[0] > 0.55 && shares[0] < 0.75, () -> "r0's share " + Arrays.toString(shares));
        assertTrue(shares[1] > 0.25 && shares[1] < 0.42, () -> "r1's share " + Arrays.toString(shares));
        assertTrue(shares[2] < 0.1, () -> "r2's share " + Arrays.toString(shares));
        noFailures(sim);
    }

    private static double share(SimulatedRouter r) {
        return ((Number) r.ha.rateLimit().stats().get("node_share")).doubleValue();
    }

    /** {@code count} requests offered to {@code router}'s rate limit, one every {@code every}. */
    private static void offer(HaSimulation sim, SimulatedRouter router, Duration every, int count) {
        if (count > 0) {
            sim.network.scheduler().schedule(every.toNanos(), () -> {
                router.ha.rateLimit().tryTake();
                offer(sim, router, every, count - 1);
            });
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {41, 42, 43})
    void treesAndSessionsReachEveryRouterAndARestartedRouterCatchesUp(long seed) {
        HaSimulation sim = formed(seed, 3, 0);
        faulty(sim);
        SimulatedRouter r0 = sim.router("r0");
        for (int i = 0; i < 4; i++) {
            r0.registry.add(WorkerSpec.of(url(i)));
        }
        assertTrue(sim.runUntil(() -> workersAgree(sim), Duration.ofSeconds(30)));
        clean(sim);
        for (int i = 0; i < 50; i++) {
            SimulatedRouter at = sim.live().get(i % 3);
            at.index.offer(new TreeInsert("m", url(i % 4).toString(), new long[] {i, i + 1L, i + 2L}));
            at.policies.forModel(SimulatedRouter.STICKY_MODEL).select(at.registry.snapshot(),
                    new RoutingRequest(SimulatedRouter.STICKY_MODEL, Optional.of("user-" + i), ""));
            sim.runFor(Duration.ofMillis(20));
        }
        assertTrue(sim.runUntil(() -> sim.live().stream().allMatch(r ->
                        treeEntries(r.index).size() == 50 && treeEntries(r.index).equals(treeEntries(r0.index))
                                && sessions(r).size() == 50 && sessions(r).equals(sessions(r0))),
                Duration.ofSeconds(10)), () -> "trees " + sim.live().stream().map(r -> treeEntries(r.index).size())
                .toList() + ", sessions " + sim.live().stream().map(r -> sessions(r).size()).toList());

        sim.crash("r2");
        sim.runFor(Duration.ofSeconds(5));
        SimulatedRouter back = sim.restart("r2");
        assertTrue(sim.runUntil(() -> back.ha.startup().done(), Duration.ofSeconds(20)), "catch-up not done");
        assertEquals("synced", back.ha.startup().state());
        // Ready means caught up: the store, the trees and the sessions are the cluster's already.
        assertEquals(replicated(r0), replicated(back));
        assertEquals(treeEntries(r0.index), treeEntries(back.index));
        assertEquals(sessions(r0), sessions(back));
        assertTrue(sim.runUntil(() -> registered(back).equals(replicated(r0)), Duration.ofSeconds(5)));
        noFailures(sim);
    }
}
