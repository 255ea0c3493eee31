package dev.smg.router.policy;

import dev.smg.router.tree.CacheIndex;
import dev.smg.router.tree.PromptBlocks;
import dev.smg.router.tree.TreeInsert;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoliciesTest {
    private static List<Worker> workers(int n) {
        return IntStream.range(0, n)
                .mapToObj(i -> new Worker("w" + i, WorkerUrl.parse("http://w" + i + ":8000"), List.of(), Optional.empty()))
                .toList();
    }

    private static RoutingRequest keyed(String key) {
        return new RoutingRequest("m", Optional.of(key), "");
    }

    private static RoutingRequest prompt(String text) {
        return new RoutingRequest("m", Optional.empty(), text);
    }

    private static void settle(CacheIndex index) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        index.afterPending(done::countDown);
        assertTrue(done.await(10, TimeUnit.SECONDS));
    }

    @Test
    void powerOfTwoSendsToTheLessLoadedOfTwo() {
        List<Worker> ws = workers(2);
        List<Worker.Lease> busy = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            busy.add(ws.get(0).acquire());
        }
        PowerOfTwoPolicy policy = new PowerOfTwoPolicy();
        for (int i = 0; i < 50; i++) {
            assertEquals("w1", policy.select(ws, RoutingRequest.ANY).orElseThrow().id());
        }
        busy.forEach(Worker.Lease::close);
    }

    @Test
    void powerOfTwoSpreadsEvenLoad() {
        List<Worker> ws = workers(4);
        Map<String, Integer> counts = new HashMap<>();
        PowerOfTwoPolicy policy = new PowerOfTwoPolicy();
        for (int i = 0; i < 4000; i++) {
            counts.merge(policy.select(ws, RoutingRequest.ANY).orElseThrow().id(), 1, Integer::sum);
        }
        assertEquals(4, counts.size());
        counts.values().forEach(c -> assertTrue(c > 700, "share " + c)); // 1000 expected; 700 is > 10 sigma off
    }

    @Test
    void consistentHashKeepsKeysAndMovesOnlyTheRemovedWorkersKeys() {
        List<Worker> ws = workers(5);
        ConsistentHashPolicy policy = new ConsistentHashPolicy();
        Map<String, String> before = new HashMap<>();
        for (int k = 0; k < 1000; k++) {
            String key = "user-" + k;
            String w = policy.select(ws, keyed(key)).orElseThrow().id();
            assertEquals(w, policy.select(ws, keyed(key)).orElseThrow().id(), "stable for one key");
            before.put(key, w);
        }
        assertEquals(5, new HashSet<>(before.values()).size());
        List<Worker> fewer = ws.stream().filter(w -> !w.id().equals("w2")).toList();
        int moved = 0;
        for (Map.Entry<String, String> e : before.entrySet()) {
            String now = policy.select(fewer, keyed(e.getKey())).orElseThrow().id();
            if (!e.getValue().equals("w2")) {
                assertEquals(e.getValue(), now, "a key not on the removed worker must not move");
            } else {
                moved++;
            }
        }
        assertTrue(moved > 100 && moved < 300, "about a fifth of the keys were on w2: " + moved);
    }

    @Test
    void manualSessionsStickExpireWhenIdleAndAvoidDeadWorkers() {
        AtomicLong now = new AtomicLong();
        ManualPolicy policy = new ManualPolicy(AssignmentMode.RANDOM, Duration.ofSeconds(10), 1000, now::get);
        List<Worker> ws = workers(4);
        String first = policy.select(ws, keyed("s1")).orElseThrow().id();
        for (int i = 0; i < 20; i++) {
            now.addAndGet(Duration.ofSeconds(5).toNanos()); // each use refreshes the idle clock
            assertEquals(first, policy.select(ws, keyed("s1")).orElseThrow().id());
        }
        List<Worker> withoutIt = ws.stream().filter(w -> !w.id().equals(first)).toList();
        String moved = policy.select(withoutIt, keyed("s1")).orElseThrow().id();
        assertNotEquals(first, moved);
        assertEquals(moved, policy.select(ws, keyed("s1")).orElseThrow().id(), "stays where it moved to");
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        policy.maintain();
        assertEquals(0, policy.sessions(), "idle past the TTL: forgotten");
    }

    @Test
    void manualMinGroupBalancesSessions() {
        ManualPolicy policy = new ManualPolicy(AssignmentMode.MIN_GROUP, Duration.ofHours(1));
        List<Worker> ws = workers(4);
        Map<String, Integer> perWorker = new HashMap<>();
        for (int s = 0; s < 40; s++) {
            perWorker.merge(policy.select(ws, keyed("s" + s)).orElseThrow().id(), 1, Integer::sum);
        }
        assertEquals(Map.of("w0", 10, "w1", 10, "w2", 10, "w3", 10), perWorker);
    }

    /** What the policy tells a trace: why, how much matched, and which router's request taught the tree. */
    @Test
    void cacheAwareNotesTheMatchAndTheRouterTheEntryCameFrom() throws Exception {
        try (CacheIndex index = new CacheIndex(1_000_000, 16)) {
            CacheAwarePolicy policy = new CacheAwarePolicy(index, CacheAwareSettings.DEFAULTS);
            List<Worker> ws = workers(3);
            String prompt = "You are a careful assistant who answers questions about geography. Where is Lyon?";
            long[] blocks = PromptBlocks.of(prompt, 16).hashes();
            index.offerRemote(new TreeInsert("m", ws.get(2).url().toString(), blocks, System.currentTimeMillis(),
                    "router-b"));
            settle(index);
            List<String> notes = new ArrayList<>();
            SelectionNotes recorder = new SelectionNotes() {
                @Override
                public void reason(String reason) {
                    notes.add("reason " + reason);
                }

                @Override
                public void cacheMatch(int matchedBlocks, int promptBlocks, String origin) {
                    notes.add("match " + matchedBlocks + "/" + promptBlocks + " from " + origin);
                }
            };
            assertEquals("w2", policy.select(ws, prompt(prompt), recorder).orElseThrow().id());
            assertEquals(List.of("match " + blocks.length + "/" + blocks.length + " from router-b", "reason cache_match"),
                    notes);
            settle(index); // the policy's own insert: this router's use now
            notes.clear();
            policy.select(ws, prompt(prompt), recorder);
            assertEquals(List.of("match " + blocks.length + "/" + blocks.length + " from ", "reason cache_match"), notes);
            notes.clear();
            String other = "Something else entirely, with no prefix in common.";
            policy.select(ws, prompt(other), recorder);
            assertEquals(List.of("match 0/" + PromptBlocks.of(other, 16).hashes().length + " from null",
                    "reason least_loaded"), notes);
        }
    }

    @Test
    void cacheAwareFollowsThePrefixAndSpreadsDifferentPrompts() throws Exception {
        try (CacheIndex index = new CacheIndex(1_000_000, 16)) {
            CacheAwarePolicy policy = new CacheAwarePolicy(index, CacheAwareSettings.DEFAULTS);
            List<Worker> ws = workers(4);
            String system = "You are a careful assistant who answers questions about geography in detail. ";
            String owner = policy.select(ws, prompt(system + "Where is Lyon?")).orElseThrow().id();
            settle(index);
            for (int i = 0; i < 10; i++) {
                assertEquals(owner, policy.select(ws, prompt(system + "Question " + i + "?")).orElseThrow().id());
                settle(index);
            }
            // Unrelated prompts go to the least-loaded worker, ties broken by fewer requests served.
            Set<String> others = new HashSet<>();
            for (int i = 0; i < 8; i++) {
                Worker w = policy.select(ws, prompt(i + " unrelated question, number " + i)).orElseThrow();
                w.acquire().close(); // served() counts, so the next tie goes elsewhere
                others.add(w.id());
                settle(index);
            }
            assertTrue(others.size() >= 3, "different prompts spread: " + others);
        }
    }

    @Test
    void cacheAwareSwitchesToTheLeastLoadedWhenImbalanced() throws Exception {
        try (CacheIndex index = new CacheIndex(1_000_000, 16)) {
            CacheAwarePolicy policy = new CacheAwarePolicy(index, new CacheAwareSettings(0.3, 4, 1.5, 16));
            List<Worker> ws = workers(2);
            String text = "a shared prefix that is long enough to matter for the cache " + "x".repeat(64);
            String owner = policy.select(ws, prompt(text)).orElseThrow().id();
            settle(index);
            Worker ownerWorker = ws.stream().filter(w -> w.id().equals(owner)).findFirst().orElseThrow();
            List<Worker.Lease> load = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                load.add(ownerWorker.acquire());
            }
            assertNotEquals(owner, policy.select(ws, prompt(text)).orElseThrow().id(), "10 vs 0 in flight: imbalanced");
            load.forEach(Worker.Lease::close);
        }
    }

    @Test
    void cacheAwareNeverFollowsARemovedOrUnavailableWorker() throws Exception {
        try (CacheIndex index = new CacheIndex(1_000_000, 16)) {
            CacheAwarePolicy policy = new CacheAwarePolicy(index, CacheAwareSettings.DEFAULTS);
            List<Worker> ws = workers(3);
            String text = "the same long prompt text, again and again, for affinity";
            String owner = policy.select(ws, prompt(text)).orElseThrow().id();
            settle(index);
            Worker gone = ws.stream().filter(w -> w.id().equals(owner)).findFirst().orElseThrow();
            List<Worker> remaining = ws.stream().filter(w -> w != gone).toList();
            assertNotEquals(owner, policy.select(remaining, prompt(text)).orElseThrow().id());
            policy.forget(gone);
            settle(index);
            assertTrue(!index.tree("m").tenants().contains(gone.url().toString()));
        }
    }
}
