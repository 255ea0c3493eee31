package dev.smg.mesh.crdt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The persistent OR-Set (with its dot-to-element index, and a merge that visits only what the other
 * side carries) against a model that is the textbook merge on plain copied maps: over random
 * histories of adds, removes, delta gossip and full-state merges, both give the same elements,
 * dots and context; the index always names each live dot's element; a merge that adds nothing
 * returns the same set; and {@link OrSet#touchedBy} names every element a delta removes.
 */
class OrSetModelTest {
    private static final String[] REPLICAS = {"a", "b", "c"};

    /** The textbook OR-Set: copies everything, so obviously right. */
    private record Model(Map<Integer, Set<Dot>> entries, Set<Dot> seen) {
        static Model of(OrSet<Integer> s) {
            Set<Dot> seen = new HashSet<>();
            s.context().forEachDot(seen::add);
            return new Model(new HashMap<>(s.entries()), seen);
        }

        Model merge(Model other) {
            Map<Integer, Set<Dot>> out = new HashMap<>();
            Set<Integer> keys = new HashSet<>(entries.keySet());
            keys.addAll(other.entries.keySet());
            for (Integer e : keys) {
                Set<Dot> mine = entries.getOrDefault(e, Set.of());
                Set<Dot> theirs = other.entries.getOrDefault(e, Set.of());
                Set<Dot> kept = new HashSet<>();
                mine.stream().filter(d -> theirs.contains(d) || !other.seen.contains(d)).forEach(kept::add);
                theirs.stream().filter(d -> mine.contains(d) || !seen.contains(d)).forEach(kept::add);
                if (!kept.isEmpty()) {
                    out.put(e, kept);
                }
            }
            Set<Dot> s = new HashSet<>(seen);
            s.addAll(other.seen);
            return new Model(out, s);
        }
    }

    private static void assertMatches(Model model, OrSet<Integer> set) {
        assertEquals(model.entries, set.entries());
        Set<Dot> seen = new HashSet<>();
        set.context().forEachDot(seen::add);
        assertEquals(model.seen, seen);
        Map<Dot, Integer> live = new HashMap<>();
        model.entries.forEach((e, dots) -> dots.forEach(d -> live.put(d, e)));
        for (Dot d : model.seen) {
            assertEquals(live.get(d), set.holder(d), "index of " + d);
        }
    }

    @Test
    void mergesAgreeWithTheCopyingModelAndTheIndexStaysExact() {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            Map<String, OrSet<Integer>> states = new HashMap<>();
            Map<String, Model> models = new HashMap<>();
            for (String r : REPLICAS) {
                states.put(r, OrSet.empty());
                models.put(r, Model.of(OrSet.empty()));
            }
            List<OrSet<Integer>> deltas = new ArrayList<>();
            for (int step = 0; step < 60; step++) {
                String r = REPLICAS[random.nextInt(REPLICAS.length)];
                OrSet<Integer> s = states.get(r);
                int element = random.nextInt(8);
                OrSet<Integer> delta = random.nextInt(3) == 0 ? s.removeDelta(element) : s.addDelta(r, element);
                deltas.add(delta);
                String to = random.nextInt(4) == 0 ? REPLICAS[random.nextInt(REPLICAS.length)] : r;
                OrSet<Integer> before = states.get(to);
                OrSet<Integer> after = before.merge(delta);
                for (Integer gone : before.elements()) {
                    if (!after.contains(gone)) {
                        assertTrue(before.touchedBy(delta).contains(gone), "touchedBy names removed " + gone);
                    }
                }
                states.put(to, after);
                models.put(to, models.get(to).merge(Model.of(delta)));
                assertMatches(models.get(to), after);
                assertSame(after, after.merge(delta), "a duplicate delta changes nothing");
                if (random.nextInt(6) == 0) { // a full-state exchange (anti-entropy): the scanning path
                    String from = REPLICAS[random.nextInt(REPLICAS.length)];
                    states.put(to, states.get(to).merge(states.get(from)));
                    models.put(to, models.get(to).merge(models.get(from)));
                    assertMatches(models.get(to), states.get(to));
                }
            }
            OrSet<Integer> all = OrSet.empty();
            Model allModel = Model.of(OrSet.empty());
            for (String r : REPLICAS) {
                all = all.merge(states.get(r));
                allModel = allModel.merge(models.get(r));
            }
            assertMatches(allModel, all);
            OrSet<Integer> fromDeltas = OrSet.empty();
            for (OrSet<Integer> d : deltas) {
                fromDeltas = fromDeltas.merge(d);
            }
            assertEquals(all, fromDeltas);
        }
    }

    @Test
    void aStateWhereOneDotSupportsTwoElementsIsRefused() {
        Dot shared = new Dot("a", 1);
        assertThrows(IllegalArgumentException.class, () -> new OrSet<>(
                Map.of(1, Set.of(shared), 2, Set.of(shared)), CausalContext.of(List.of(shared))));
    }

    @Test
    void aRemoveDeltaFindsItsElementThroughTheIndexAmongManyKeys() {
        OrSet<Integer> set = OrSet.empty();
        for (int i = 0; i < 1000; i++) {
            set = set.merge(set.addDelta("a", i));
        }
        OrSet<Integer> remove = set.removeDelta(500);
        assertEquals(Set.of(500), set.touchedBy(remove));
        OrSet<Integer> after = set.merge(remove);
        assertEquals(999, after.elements().size());
        assertTrue(!after.contains(500));
        assertNull(after.holder(new Dot("a", 501)));
        assertEquals(499, after.holder(new Dot("a", 500)));
    }
}
