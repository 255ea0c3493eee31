package dev.smg.mesh.crdt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The persistent causal context against the plainest model of it, a set of dots: whatever order
 * dots arrive in and however contexts are merged, it holds exactly the model's dots, stays compact
 * (no cloud dot its vector could absorb), is equal to every other context of the same dots, and
 * merging what it already holds returns the very same context (the store relies on that identity
 * to recognise duplicates).
 */
class CausalContextTest {
    private static final String[] REPLICAS = {"a", "b", "c"};

    private static List<Dot> randomDots(Random random, int n) {
        List<Dot> dots = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            dots.add(new Dot(REPLICAS[random.nextInt(REPLICAS.length)], 1 + random.nextInt(40)));
        }
        return dots;
    }

    private static void assertHoldsExactly(Set<Dot> model, CausalContext ctx) {
        for (String r : REPLICAS) {
            for (long c = 1; c <= 45; c++) {
                Dot d = new Dot(r, c);
                assertEquals(model.contains(d), ctx.contains(d), d.toString());
            }
        }
        assertEquals(model.size(), ctx.dotCount());
        Set<Dot> listed = new HashSet<>();
        ctx.forEachDot(listed::add);
        assertEquals(model, listed);
        for (Dot d : ctx.cloud()) {
            assertTrue(d.counter() > ctx.vector().getOrDefault(d.replica(), 0L) + 1, "compact: " + d);
        }
    }

    @Test
    void holdsExactlyTheDotsAddedInAnyOrder() {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            List<Dot> dots = randomDots(random, random.nextInt(120));
            CausalContext ctx = CausalContext.EMPTY;
            Set<Dot> model = new HashSet<>();
            for (Dot d : dots) {
                ctx = ctx.with(d);
                model.add(d);
                assertEquals(model.size(), ctx.dotCount());
            }
            assertHoldsExactly(model, ctx);
            assertEquals(ctx, CausalContext.of(dots));
            assertEquals(ctx, new CausalContext(Map.of(), new HashSet<>(dots)));
        }
    }

    @Test
    void contextsOfTheSameDotsAreEqualHoweverBuilt() {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            List<Dot> dots = randomDots(random, 80);
            List<Dot> shuffled = new ArrayList<>(dots);
            Collections.shuffle(shuffled, random);
            int cut = random.nextInt(dots.size());
            CausalContext merged = CausalContext.of(shuffled.subList(0, cut))
                    .merge(CausalContext.of(shuffled.subList(cut, shuffled.size())));
            CausalContext direct = CausalContext.of(dots);
            assertEquals(direct, merged);
            assertEquals(direct.hashCode(), merged.hashCode());
            assertEquals(direct.vector(), merged.vector());
            assertEquals(direct.cloud(), merged.cloud());
        }
    }

    @Test
    void mergeIsAJoinAndMergingNothingNewReturnsTheSameContext() {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            List<Dot> xs = randomDots(random, 50);
            List<Dot> ys = randomDots(random, 50);
            List<Dot> zs = randomDots(random, 50);
            CausalContext x = CausalContext.of(xs);
            CausalContext y = CausalContext.of(ys);
            CausalContext z = CausalContext.of(zs);
            assertEquals(x.merge(y), y.merge(x), "commutative");
            assertEquals(x.merge(y).merge(z), x.merge(y.merge(z)), "associative");
            assertSame(x, x.merge(x), "idempotent, and the same context");
            Set<Dot> union = new HashSet<>(xs);
            union.addAll(ys);
            assertHoldsExactly(union, x.merge(y));
            CausalContext xy = x.merge(y);
            assertSame(xy, xy.merge(y), "nothing new: the same context");
            assertSame(xy, xy.merge(CausalContext.of(xs.subList(0, 10))));
            assertSame(xy, xy.with(xs.get(0)));
        }
    }

    @Test
    void aVectorPrefixSwallowsTheCloudItCovers() {
        CausalContext holey = CausalContext.of(List.of(new Dot("r", 3), new Dot("r", 5), new Dot("r", 9)));
        assertEquals(3, holey.cloud().size());
        CausalContext covered = holey.merge(new CausalContext(Map.of("r", 4L), Set.of()));
        assertEquals(5L, covered.vector().get("r"), "4 covers 3 and continues into 5");
        assertEquals(Set.of(new Dot("r", 9)), covered.cloud());
    }
}
