package dev.smg.router.policy;

import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManualPolicyTest {
    private static final List<Worker> WORKERS = IntStream.range(0, 6)
            .mapToObj(i -> new Worker("w" + i, WorkerUrl.parse("http://w" + i + ":8000"), List.of(), Optional.empty()))
            .toList();

    private static RoutingRequest keyed(String key) {
        return new RoutingRequest("m", Optional.of(key), "");
    }

    private static List<Worker> someWorkers(Random random) {
        List<Worker> some = new ArrayList<>();
        for (Worker w : WORKERS) {
            if (random.nextInt(3) > 0) {
                some.add(w);
            }
        }
        return some.isEmpty() ? List.of(WORKERS.get(random.nextInt(WORKERS.size()))) : some;
    }

    /** One random operation of the kinds that change sessions: place/use, expire, adopt, remove. */
    private static void randomOperation(ManualPolicy policy, Random random, AtomicLong clock) {
        String key = "k" + random.nextInt(80);
        switch (random.nextInt(10)) {
            case 0, 1, 2, 3 -> policy.select(someWorkers(random), keyed(key));
            case 4 -> clock.addAndGet(Duration.ofSeconds(random.nextInt(4)).toNanos());
            case 5 -> policy.maintain();
            case 6, 7 -> {
                // a peer's placement, sometimes on a worker this router does not know
                String url = random.nextInt(5) == 0 ? "http://peer-only:8000"
                        : WORKERS.get(random.nextInt(WORKERS.size())).url().toString();
                policy.adopt(key, new ManualPolicy.Placement(url, 1_000 + random.nextInt(1_000)));
            }
            case 8 -> policy.forget(WORKERS.get(random.nextInt(WORKERS.size())));
            default -> policy.select(WORKERS, keyed(key));
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void groupCountsEqualAFullRecountAfterEveryOperation(long seed) {
        Random random = new Random(seed);
        AtomicLong clock = new AtomicLong();
        ManualPolicy policy = new ManualPolicy(AssignmentMode.MIN_GROUP, Duration.ofSeconds(10), 40, clock::get);
        for (int op = 0; op < 2_000; op++) {
            randomOperation(policy, random, clock);
            assertEquals(policy.recountGroups(), policy.groupCounts(), "seed " + seed + ", after operation " + op);
        }
    }

    @Test
    void groupCountsEqualAFullRecountAfterConcurrentOperations() throws Exception {
        AtomicLong clock = new AtomicLong();
        ManualPolicy policy = new ManualPolicy(AssignmentMode.MIN_GROUP, Duration.ofSeconds(10), 40, clock::get);
        int threads = 6;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> running = new ArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            Random random = new Random(100 + t);
            running.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    for (int op = 0; op < 20_000; op++) {
                        randomOperation(policy, random, clock);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        go.countDown();
        for (Thread t : running) {
            t.join();
        }
        assertEquals(List.of(), failures);
        assertEquals(policy.recountGroups(), policy.groupCounts());
    }

    @Test
    void minGroupPicksTheWorkerHoldingFewestSessions() {
        ManualPolicy policy = new ManualPolicy(AssignmentMode.MIN_GROUP, Duration.ofHours(1));
        List<Worker> three = WORKERS.subList(0, 3);
        int[] held = {3, 1, 2};
        int n = 0;
        for (int w = 0; w < 3; w++) {
            for (int i = 0; i < held[w]; i++) {
                policy.adopt("s" + n++, new ManualPolicy.Placement(three.get(w).url().toString(), 1));
            }
        }
        assertEquals("w1", policy.select(three, keyed("new-1")).orElseThrow().id());
        // now 3, 2, 2: a tie between w1 and w2
        String second = policy.select(three, keyed("new-2")).orElseThrow().id();
        assertTrue(second.equals("w1") || second.equals("w2"), second);
        policy.forget(WORKERS.get(0));
        assertEquals("w0", policy.select(three, keyed("new-3")).orElseThrow().id(),
                "w0's sessions left with it: it holds none now");
    }

    @Test
    void requestsRacingOnOneNewKeyAllLandOnOneWorker() throws Exception {
        ManualPolicy policy = new ManualPolicy(AssignmentMode.RANDOM, Duration.ofHours(1));
        AtomicInteger announced = new AtomicInteger();
        policy.replicateTo((p, key, url, placed) -> announced.incrementAndGet());
        int threads = 8;
        int keys = 300;
        String[][] chosen = new String[threads][keys];
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            running.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int k = 0; k < keys; k++) {
                    chosen[id][k] = policy.select(WORKERS, keyed("key-" + k)).orElseThrow().id();
                }
            }));
        }
        go.countDown();
        for (Thread t : running) {
            t.join();
        }
        Map<String, String> placed = new ConcurrentHashMap<>();
        for (int k = 0; k < keys; k++) {
            for (int t = 0; t < threads; t++) {
                String first = placed.putIfAbsent("key-" + k, chosen[t][k]);
                assertTrue(first == null || first.equals(chosen[t][k]), "key-" + k + " went to two workers");
            }
        }
        assertEquals(keys, policy.sessions());
        assertEquals(keys, announced.get(), "each key was placed (and told to peers) once");
    }
}
