package dev.smg.mesh.crdt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The semilattice laws over random operation histories: three replicas apply random local
 * operations (each producing a delta they merge into themselves, some deltas also exchanged
 * mid-history), then merge must be commutative, associative and idempotent on the results, and
 * merging every delta, shuffled and duplicated, into the empty state must give the full merge.
 */
class CrdtLawsTest {
    private static final String[] REPLICAS = {"a", "b", "c"};

    /** One local operation at a replica, returning the delta it produced. */
    interface Op<T extends Crdt<T>> {
        T apply(String replica, T state, Random random);
    }

    private static <T extends Crdt<T>> void checkLaws(Supplier<T> empty, Op<T> op, long seed) {
        Random random = new Random(seed);
        Map<String, T> states = new java.util.HashMap<>();
        for (String r : REPLICAS) {
            states.put(r, empty.get());
        }
        List<T> deltas = new ArrayList<>();
        for (int step = 0; step < 40; step++) {
            String r = REPLICAS[random.nextInt(REPLICAS.length)];
            T delta = op.apply(r, states.get(r), random);
            states.put(r, states.get(r).merge(delta));
            deltas.add(delta);
            if (random.nextInt(5) == 0) { // partial gossip mid-history: concurrency with knowledge
                String to = REPLICAS[random.nextInt(REPLICAS.length)];
                states.put(to, states.get(to).merge(delta));
            }
        }
        T a = states.get("a");
        T b = states.get("b");
        T c = states.get("c");
        assertEquals(a.merge(b), b.merge(a), "commutative");
        assertEquals(a.merge(b).merge(c), a.merge(b.merge(c)), "associative");
        assertEquals(a, a.merge(a), "idempotent");
        T full = a.merge(b).merge(c);
        List<T> shuffled = new ArrayList<>(deltas);
        shuffled.addAll(deltas.subList(0, deltas.size() / 3)); // duplicates
        Collections.shuffle(shuffled, random);
        T fromDeltas = empty.get();
        for (T d : shuffled) {
            fromDeltas = fromDeltas.merge(d);
        }
        assertEquals(full, fromDeltas, "deltas, reordered and duplicated, equal the full merge");
    }

    private static <T extends Crdt<T>> void manyHistories(Supplier<T> empty, Op<T> op) {
        for (long seed = 0; seed < 200; seed++) {
            checkLaws(empty, op, seed);
        }
    }

    @Test
    void gCounter() {
        manyHistories(() -> GCounter.EMPTY, (r, s, random) -> s.incrementDelta(r, random.nextInt(5)));
    }

    @Test
    void pnCounter() {
        manyHistories(() -> PNCounter.EMPTY, (r, s, random) -> s.addDelta(r, random.nextInt(11) - 5));
    }

    @Test
    void lwwRegister() {
        Map<String, HybridLogicalClock> clocks = new java.util.HashMap<>();
        long[] wall = {1000};
        manyHistories(LwwRegister::<Integer>empty, (r, s, random) -> {
            HybridLogicalClock clock = clocks.computeIfAbsent(r, x -> new HybridLogicalClock(x, () -> wall[0]));
            clock.observe(s.stamp());
            wall[0] += random.nextInt(3);
            return new LwwRegister<>(random.nextInt(100), clock.now());
        });
    }

    @Test
    void orSet() {
        manyHistories(OrSet::<Integer>empty, (r, s, random) -> random.nextInt(3) == 0
                ? s.removeDelta(random.nextInt(6))
                : s.addDelta(r, random.nextInt(6)));
    }

    @Test
    void mapOfCounters() {
        manyHistories(CrdtMap::<Integer, GCounter>empty, (r, s, random) -> {
            int key = random.nextInt(4);
            if (random.nextInt(4) == 0) {
                return s.removeDelta(key);
            }
            GCounter current = s.values().getOrDefault(key, GCounter.EMPTY);
            return s.updateDelta(r, key, current.incrementDelta(r, 1 + random.nextInt(3)));
        });
    }

    @Test
    void aMapKeyUpdatedConcurrentlyWithItsRemovalSurvives() {
        CrdtMap<String, PNCounter> base = CrdtMap.empty();
        base = base.merge(base.updateDelta("a", "w1", PNCounter.EMPTY.addDelta("a", 5)));
        CrdtMap<String, PNCounter> removedAtA = base.merge(base.removeDelta("w1"));
        CrdtMap<String, PNCounter> updatedAtB = base.merge(base.updateDelta("b", "w1",
                base.values().get("w1").addDelta("b", 2)));
        CrdtMap<String, PNCounter> merged = removedAtA.merge(updatedAtB);
        assertTrue(merged.get("w1").isPresent(), "the concurrent update keeps the key");
        assertEquals(7, merged.get("w1").orElseThrow().value());
        assertFalse(removedAtA.get("w1").isPresent());
    }

    @Test
    void countersCountEveryIncrementOnce() {
        GCounter a = GCounter.EMPTY;
        a = a.merge(a.incrementDelta("a", 3));
        GCounter b = GCounter.EMPTY.merge(GCounter.EMPTY.incrementDelta("b", 4));
        GCounter merged = a.merge(b).merge(a).merge(b);
        assertEquals(7, merged.value());
        assertEquals(7, merged.prune("b", "a").value(), "pruning a departed replica keeps the value");
        PNCounter p = PNCounter.EMPTY;
        p = p.merge(p.addDelta("a", 10));
        p = p.merge(p.addDelta("a", -4));
        assertEquals(6, p.value());
    }

    @Test
    void orSetIsAddWinsAgainstAConcurrentRemove() {
        OrSet<String> base = OrSet.<String>empty();
        base = base.merge(base.addDelta("a", "w1"));
        OrSet<String> atA = base.merge(base.removeDelta("w1"));        // a removes what it saw
        OrSet<String> atB = base.merge(base.addDelta("b", "w1"));      // b re-adds concurrently
        assertTrue(atA.merge(atB).contains("w1"), "the unobserved add wins");
        assertTrue(atB.merge(atA).contains("w1"));
        OrSet<String> removedEverywhere = atA.merge(base);
        assertFalse(removedEverywhere.contains("w1"), "a remove of everything observed sticks");
    }

    @Test
    void lastWriterWinsFollowsCausalityDespiteAMinuteOfClockSkew() {
        long[] realTime = {1_000_000};
        HybridLogicalClock fast = new HybridLogicalClock("fast", () -> realTime[0] + 60_000); // a minute ahead
        HybridLogicalClock slow = new HybridLogicalClock("slow", () -> realTime[0]);
        LwwRegister<String> first = new LwwRegister<>("written first, on the fast host", fast.now());
        realTime[0] += 5; // slow writes 5 ms later, having seen the first write
        slow.observe(first.stamp());
        LwwRegister<String> second = new LwwRegister<>("written second, on the slow host", slow.now());
        BiFunction<LwwRegister<String>, LwwRegister<String>, String> mergeValue = (x, y) -> x.merge(y).value();
        assertEquals("written second, on the slow host", mergeValue.apply(first, second));
        assertEquals("written second, on the slow host", mergeValue.apply(second, first));
    }

    @Test
    void aLargeOutOfOrderCloudFoldsIntoTheVectorWhenItsHoleIsFilled() {
        java.util.List<Dot> dots = new java.util.ArrayList<>();
        for (long c = 50_000; c >= 2; c--) {
            dots.add(new Dot("r", c));
        }
        CausalContext holey = CausalContext.of(dots);
        org.junit.jupiter.api.Assertions.assertEquals(49_999, holey.cloud().size());
        CausalContext filled = holey.with(new Dot("r", 1));
        org.junit.jupiter.api.Assertions.assertEquals(50_000L, filled.vector().get("r"));
        org.junit.jupiter.api.Assertions.assertTrue(filled.cloud().isEmpty());
    }
}
