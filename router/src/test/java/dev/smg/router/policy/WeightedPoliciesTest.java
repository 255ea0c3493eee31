package dev.smg.router.policy;

import dev.smg.router.breaker.BreakerSettings;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Worker weights in random, round_robin and power_of_two. Statistical checks draw enough and allow
 * 7 standard deviations either side (a false failure is rarer than 1 in 10^11).
 */
class WeightedPoliciesTest {
    private static Worker worker(String id, int weight) {
        return new Worker(id, WorkerSpec.of(WorkerUrl.parse("http://" + id + ":8000"), weight),
                BreakerSettings.DEFAULTS, (from, to) -> { });
    }

    private static Map<String, Integer> draws(RoutingPolicy policy, List<Worker> candidates, int n) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(policy.select(candidates, RoutingRequest.ANY).orElseThrow().id(), 1, Integer::sum);
        }
        return counts;
    }

    /** {@code count} of {@code n} draws is within 7 sigma of the binomial mean n * p. */
    private static void assertShare(double p, int n, Integer count, String what) {
        double mean = n * p;
        double bound = 7 * Math.sqrt(n * p * (1 - p));
        int c = count == null ? 0 : count;
        assertTrue(Math.abs(c - mean) <= bound, what + ": " + c + " of " + n + ", expected " + mean + " +- " + bound);
    }

    private static List<String> picks(RoutingPolicy policy, List<Worker> candidates, int n) {
        return IntStream.range(0, n).mapToObj(i -> policy.select(candidates, RoutingRequest.ANY).orElseThrow().id())
                .toList();
    }

    // ------------------------------------------------------------------ random

    @Test
    void randomDrawsInProportionToWeight() {
        List<Worker> ws = List.of(worker("a", 5), worker("b", 3), worker("c", 2));
        int n = 100_000;
        Map<String, Integer> counts = draws(new RandomPolicy(), ws, n);
        assertShare(0.5, n, counts.get("a"), "a (weight 5 of 10)");
        assertShare(0.3, n, counts.get("b"), "b (weight 3 of 10)");
        assertShare(0.2, n, counts.get("c"), "c (weight 2 of 10)");
    }

    @Test
    void randomWithEqualWeightsOtherThanOneIsUniform() {
        List<Worker> ws = List.of(worker("a", 7), worker("b", 7), worker("c", 7), worker("d", 7));
        int n = 40_000;
        Map<String, Integer> counts = draws(new RandomPolicy(), ws, n);
        for (String id : List.of("a", "b", "c", "d")) {
            assertShare(0.25, n, counts.get(id), id);
        }
    }

    // ------------------------------------------------------------------ round_robin

    @Test
    void smoothWeightedRoundRobinInterleavesAsNginxDoes() {
        List<Worker> ws = List.of(worker("a", 5), worker("b", 1), worker("c", 1));
        RoundRobinPolicy policy = new RoundRobinPolicy();
        List<String> cycle = List.of("a", "a", "b", "a", "c", "a", "a");
        assertEquals(cycle, picks(policy, ws, 7));
        assertEquals(cycle, picks(policy, ws, 7), "each cycle of sum-of-weights picks ends where it started");
    }

    @Test
    void forgettingWorkersDropsTheirState() {
        List<Worker> ws = List.of(worker("a", 5), worker("b", 1), worker("c", 1));
        RoundRobinPolicy policy = new RoundRobinPolicy();
        assertEquals(List.of("a", "a", "b"), picks(policy, ws, 3));
        ws.forEach(policy::forget);
        assertEquals(List.of("a", "a", "b", "a", "c", "a", "a"), picks(policy, ws, 7));
    }

    @Test
    void sharesStayProportionalWhileTheCandidateListChanges() {
        Worker a = worker("a", 5);
        Worker b = worker("b", 1);
        Worker c = worker("c", 1);
        Worker d = worker("d", 3);
        RoundRobinPolicy policy = new RoundRobinPolicy();
        picks(policy, List.of(a, b, c), 10);
        picks(policy, List.of(a, b), 13); // c unavailable for a while: its state is kept as it was
        // c is back and d joins: every worker gets its share (1000 picks are 100 cycles of 10), off by
        // no more than the state carried over from the lists before.
        Map<String, Integer> counts = draws(policy, List.of(a, b, c, d), 1000);
        assertTrue(Math.abs(counts.get("a") - 500) <= 2, () -> "a: " + counts);
        assertTrue(Math.abs(counts.get("b") - 100) <= 2, () -> "b: " + counts);
        assertTrue(Math.abs(counts.get("c") - 100) <= 2, () -> "c: " + counts);
        assertTrue(Math.abs(counts.get("d") - 300) <= 2, () -> "d: " + counts);
    }

    @Test
    void twoModelsWithDifferentListsEachGetProportionalShares() {
        // One policy instance serves two models whose candidate lists share worker a.
        Worker a = worker("a", 5);
        Worker b = worker("b", 1);
        Worker c = worker("c", 1);
        Worker d = worker("d", 3);
        RoundRobinPolicy policy = new RoundRobinPolicy();
        Map<String, Integer> first = new HashMap<>();
        Map<String, Integer> second = new HashMap<>();
        for (int i = 0; i < 7000; i++) {
            first.merge(policy.select(List.of(a, b, c), RoutingRequest.ANY).orElseThrow().id(), 1, Integer::sum);
            second.merge(policy.select(List.of(a, d), RoutingRequest.ANY).orElseThrow().id(), 1, Integer::sum);
        }
        assertTrue(Math.abs(first.get("a") - 5000) <= 10, () -> "first list: " + first);
        assertTrue(Math.abs(second.get("a") - 4375) <= 10, () -> "second list: " + second);
    }

    @Test
    void concurrentCallersGetExactWeightedShares() throws Exception {
        List<Worker> ws = List.of(worker("a", 5), worker("b", 1), worker("c", 1));
        RoundRobinPolicy policy = new RoundRobinPolicy();
        Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 700; i++) {
                    counts.computeIfAbsent(policy.select(ws, RoutingRequest.ANY).orElseThrow().id(),
                            k -> new AtomicInteger()).incrementAndGet();
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        // 5600 picks are 800 whole cycles of 7: exactly 5, 1, 1 each, whatever the interleaving.
        assertEquals(4000, counts.get("a").get());
        assertEquals(800, counts.get("b").get());
        assertEquals(800, counts.get("c").get());
    }

    // ------------------------------------------------------------------ power_of_two

    @Test
    void powerOfTwoPrefersTheHigherWeightAtEqualLoad() {
        List<Worker> ws = List.of(worker("light", 1), worker("heavy", 3));
        PowerOfTwoPolicy policy = new PowerOfTwoPolicy(w -> 2.0); // 2 in flight each: 2/3 < 2/1
        assertEquals(Map.of("heavy", 1000), draws(policy, ws, 1000));
    }

    @Test
    void powerOfTwoComparesLoadPerUnitOfWeight() {
        Worker light = worker("light", 1);
        Worker heavy = worker("heavy", 4);
        List<Worker> ws = List.of(light, heavy);
        // heavy carries 6 (1.5 per unit), light 1 (1 per unit): light is the less loaded
        assertEquals(Map.of("light", 1000), draws(new PowerOfTwoPolicy(w -> w == heavy ? 6.0 : 1.0), ws, 1000));
        // heavy carries 3 (0.75 per unit): now heavy is
        assertEquals(Map.of("heavy", 1000), draws(new PowerOfTwoPolicy(w -> w == heavy ? 3.0 : 1.0), ws, 1000));
    }

    @Test
    void powerOfTwoDrawsItsPairByWeight() {
        // With equal load the first of the pair wins, so the picks show how the first is drawn: by weight.
        List<Worker> ws = List.of(worker("a", 6), worker("b", 3), worker("c", 1));
        int n = 100_000;
        Map<String, Integer> counts = draws(new PowerOfTwoPolicy(w -> 0.0), ws, n);
        assertShare(0.6, n, counts.get("a"), "a");
        assertShare(0.3, n, counts.get("b"), "b");
        assertShare(0.1, n, counts.get("c"), "c");
    }
}
