package dev.smg.router.policy;

import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoundRobinPolicyTest {
    private static List<Worker> workers(int n) {
        return IntStream.range(0, n)
                .mapToObj(i -> new Worker("w" + i, WorkerUrl.parse("http://w" + i + ":1"), List.of(), Optional.empty()))
                .toList();
    }

    @Test
    void cyclesThroughWorkersInOrder() {
        List<Worker> ws = workers(3);
        RoundRobinPolicy policy = new RoundRobinPolicy();
        List<String> picks = IntStream.range(0, 6).mapToObj(i -> policy.select(ws, RoutingRequest.ANY).orElseThrow().id()).toList();
        assertEquals(List.of("w0", "w1", "w2", "w0", "w1", "w2"), picks);
    }

    @Test
    void concurrentCallersGetAnExactlyEvenSplit() throws Exception {
        List<Worker> ws = workers(4);
        RoundRobinPolicy policy = new RoundRobinPolicy();
        Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        Thread[] threads = new Thread[8];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    counts.computeIfAbsent(policy.select(ws, RoutingRequest.ANY).orElseThrow().id(), k -> new AtomicInteger()).incrementAndGet();
                }
            });
        }
        for (Thread thread : threads) {
            thread.join();
        }
        counts.values().forEach(c -> assertEquals(2000, c.get()));
    }

    @Test
    void emptyCandidatesGiveNothing() {
        assertTrue(new RoundRobinPolicy().select(List.of(), RoutingRequest.ANY).isEmpty());
        assertTrue(new RandomPolicy().select(List.of(), RoutingRequest.ANY).isEmpty());
    }

    @Test
    void randomReachesEveryWorker() {
        List<Worker> ws = workers(3);
        RandomPolicy policy = new RandomPolicy();
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            counts.merge(policy.select(ws, RoutingRequest.ANY).orElseThrow().id(), 1, Integer::sum);
        }
        assertEquals(3, counts.size());
        // Each share is 1000 on average; 700 is more than 10 standard deviations away.
        counts.values().forEach(c -> assertTrue(c > 700, "share " + c));
    }
}
