package dev.smg.router.policy;

import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingCacheTest {
    private static final int THREADS = 8;

    private static List<String> members(String... urls) {
        List<String> sorted = new ArrayList<>(List.of(urls));
        Collections.sort(sorted);
        return sorted;
    }

    /** Runs {@code body(thread)} on {@link #THREADS} threads released at once. */
    private static void race(java.util.function.IntConsumer body) throws InterruptedException {
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    body.accept(id);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            assertTrue(t.join(java.time.Duration.ofSeconds(30)), "thread finished");
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void threadsRacingOnANewWorkerSetShareOneRingBuiltOnce() throws Exception {
        List<Worker> ws = IntStream.range(0, 5)
                .mapToObj(i -> new Worker("w" + i, WorkerUrl.parse("http://w" + i + ":8000"), List.of(), Optional.empty()))
                .toList();
        ConsistentHashPolicy policy = new ConsistentHashPolicy();
        int keys = 500;
        String[][] chosen = new String[THREADS][keys];
        race(t -> {
            for (int k = 0; k < keys; k++) {
                chosen[t][k] = policy.select(ws, new RoutingRequest("m", Optional.of("user-" + k), ""))
                        .orElseThrow().id();
            }
        });
        for (int t = 1; t < THREADS; t++) {
            assertTrue(java.util.Arrays.equals(chosen[0], chosen[t]), "thread " + t + " placed keys elsewhere");
        }
        assertEquals(1, policy.rings().built(), "the racing requests built the set's ring once");
        assertEquals(1, policy.rings().size());
    }

    @Test
    void racingLookupsOfManySetsGetOneRingEachAndStayWithinTheBound() throws Exception {
        RingCache cache = new RingCache(16);
        Set<HashRing> seenForA = ConcurrentHashMap.newKeySet();
        race(t -> {
            for (int i = 0; i < 200; i++) {
                seenForA.add(cache.ring(members("http://a:1", "http://b:1")));
                cache.ring(members("http://a:1", "http://x" + (i % 40) + ":1"));
                assertTrue(cache.size() <= 16 + THREADS, "at most one new entry per thread above the bound");
            }
        });
        assertTrue(cache.size() <= 16, "back within the bound: " + cache.size());
        assertEquals(1, seenForA.size(), "the hot set kept one ring throughout");
        assertTrue(cache.evicted() > 0);
    }

    @Test
    void aHotSetSurvivesAStreamOfTransientSetsWhileTheBoundHolds() {
        RingCache cache = new RingCache(8);
        List<String> hot = members("http://w1:1", "http://w2:1", "http://w3:1");
        HashRing hotRing = cache.ring(hot);
        for (int i = 0; i < 1_000; i++) {
            cache.ring(members("http://w1:1", "http://flap" + i + ":1"));
            assertSame(hotRing, cache.ring(hot), "the hot ring is never rebuilt");
            assertTrue(cache.size() <= 8);
        }
        assertEquals(1_001, cache.built());
        assertEquals(1_001 - 8, cache.evicted(), "one eviction per new set past the bound, never a clear");
        assertTrue(cache.contains(hot));
    }

    @Test
    void evictionTakesTheLeastRecentlyUsedSet() {
        RingCache cache = new RingCache(3);
        List<String> a = members("http://a:1");
        List<String> b = members("http://b:1");
        List<String> c = members("http://c:1");
        cache.ring(a);
        cache.ring(b);
        cache.ring(c);
        cache.ring(a); // a is now more recent than b
        cache.ring(members("http://d:1"));
        assertTrue(cache.contains(a));
        assertFalse(cache.contains(b), "b was the least recently used");
        assertTrue(cache.contains(c));
        assertEquals(1, cache.evicted());
        assertEquals(a, cache.ring(a).members());
    }
}
