package dev.smg.router.tree;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RadixTreeTest {
    private static long[] key(long... k) {
        return k;
    }

    @Test
    void longestPrefixIsFoundAcrossSplitEdges() {
        RadixTree t = RadixTree.empty()
                .insert(key(1, 2, 3, 4), "a", 1)
                .insert(key(1, 2, 9), "b", 2);
        t.checkInvariants();
        assertEquals(new RadixTree.Match(4, "a", ""), t.match(key(1, 2, 3, 4, 5), x -> true));
        assertEquals(new RadixTree.Match(3, "b", ""), t.match(key(1, 2, 9, 9), x -> true));
        // The shared prefix [1,2] is held by both; the most recent user wins.
        assertEquals(new RadixTree.Match(2, "b", ""), t.match(key(1, 2, 7), x -> true));
        assertEquals(new RadixTree.Match(0, null, null), t.match(key(8), x -> true));
        assertEquals(5, t.blocks(), "1,2 shared + 3,4 + 9");
    }

    @Test
    void aMatchNamesTheRouterWhoseRequestMadeTheNewestUse() {
        RadixTree t = RadixTree.empty()
                .insert(key(1, 2, 3), "w1", 10, "router-b")
                .insert(key(1, 2), "w1", 20, "")           // this router used the shorter prefix since
                .insert(key(1, 2, 3), "w1", 5, "router-c"); // an older use, replicated late: changes nothing
        t.checkInvariants();
        assertEquals(new RadixTree.Match(3, "w1", "router-b"), t.match(key(1, 2, 3), x -> true));
        assertEquals(new RadixTree.Match(2, "w1", ""), t.match(key(1, 2, 9), x -> true));
        List<String> exported = new ArrayList<>();
        t.forEachEntry((path, tenant, stamp, origin) -> exported.add(Arrays.toString(path) + stamp + origin));
        assertEquals(List.of("[1, 2]20", "[1, 2, 3]10router-b"), exported);
    }

    @Test
    void unusableTenantsAreSkippedNotFollowed() {
        RadixTree t = RadixTree.empty().insert(key(1, 2, 3), "dead", 1).insert(key(1, 2), "alive", 2);
        assertEquals(new RadixTree.Match(2, "alive", ""), t.match(key(1, 2, 3), x -> x.equals("alive")));
        assertNull(t.match(key(1, 2, 3), x -> false).tenant());
    }

    @Test
    void oldTreesAreUnchangedByLaterOperations() {
        RadixTree before = RadixTree.empty().insert(key(1, 2, 3), "a", 1);
        RadixTree after = before.insert(key(1, 2, 4), "b", 2).removeTenant("a").evictTo(0);
        assertEquals(new RadixTree.Match(3, "a", ""), before.match(key(1, 2, 3), x -> true));
        assertEquals(3, before.blocks());
        assertEquals(0, after.blocks());
    }

    @Test
    void aRemovedTenantLeavesTheTree() {
        RadixTree t = RadixTree.empty().insert(key(1, 2, 3), "a", 1).insert(key(1, 2, 4), "b", 2)
                .insert(key(5, 6), "a", 3);
        RadixTree without = t.removeTenant("a");
        without.checkInvariants();
        assertEquals(Set.of("b"), without.tenants());
        assertEquals(3, without.blocks(), "1,2 and 4 remain for b");
        assertEquals(new RadixTree.Match(0, null, null), without.match(key(5, 6), x -> true));
    }

    @Test
    void removingATenantThatOwnsAWholeSubtreeCountsEachBlockOnce() {
        // Regression: the dropped parent's blocks and its dropped children's were counted twice,
        // driving blocks() negative and switching eviction off.
        RadixTree t = RadixTree.empty().insert(key(1, 2), "a", 1).insert(key(1, 3), "a", 2)
                .insert(key(7, 8, 9), "b", 3);
        RadixTree without = t.removeTenant("a");
        without.checkInvariants();
        assertEquals(3, without.blocks());
        RadixTree empty = without.removeTenant("b");
        empty.checkInvariants();
        assertEquals(0, empty.blocks());
    }

    @Test
    void evictionRemovesLeastRecentlyUsedLeavesDownToTheTarget() {
        RadixTree t = RadixTree.empty()
                .insert(key(1, 1, 1, 1), "old", 1)
                .insert(key(2, 2, 2, 2), "mid", 2)
                .insert(key(3, 3, 3, 3), "new", 3);
        RadixTree smaller = t.evictTo(8);
        smaller.checkInvariants();
        assertTrue(smaller.blocks() <= 8);
        assertEquals(0, smaller.match(key(1, 1, 1, 1), x -> true).blocks(), "the oldest went first");
        assertEquals(4, smaller.match(key(3, 3, 3, 3), x -> true).blocks());
    }

    @Test
    void randomHistoriesKeepTheInvariantsAndMatchLikeANaiveModel() {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            RadixTree t = RadixTree.empty();
            List<long[]> inserted = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                long[] k = new long[1 + random.nextInt(8)];
                for (int j = 0; j < k.length; j++) {
                    k[j] = random.nextInt(3); // small alphabet: many shared prefixes and splits
                }
                t = t.insert(k, "t" + random.nextInt(4), i);
                inserted.add(k);
                t.checkInvariants();
            }
            for (int q = 0; q < 30; q++) {
                long[] probe = new long[1 + random.nextInt(9)];
                for (int j = 0; j < probe.length; j++) {
                    probe[j] = random.nextInt(3);
                }
                int expected = 0;
                for (long[] k : inserted) {
                    int common = 0;
                    while (common < Math.min(k.length, probe.length) && k[common] == probe[common]) {
                        common++;
                    }
                    expected = Math.max(expected, common);
                }
                assertEquals(expected, t.match(probe, x -> true).blocks(), Arrays.toString(probe));
            }
            RadixTree evicted = t.evictTo(t.blocks() / 2);
            evicted.checkInvariants();
            assertTrue(evicted.blocks() <= t.blocks() / 2);
            RadixTree fewer = t.removeTenant("t" + random.nextInt(4));
            fewer.checkInvariants(); // also checks blocks() against the edges actually held
        }
    }

    @Test
    void promptBlocksChainSoEqualHashesMeanEqualPrefixes() {
        PromptBlocks a = PromptBlocks.of("You are a helpful assistant. Question one?", 16);
        PromptBlocks b = PromptBlocks.of("You are a helpful assistant. Question two?", 16);
        assertEquals(3, a.hashes().length);
        assertEquals(a.hashes()[0], b.hashes()[0]);
        assertEquals(a.hashes()[1], b.hashes()[1]);
        assertTrue(a.hashes()[2] != b.hashes()[2]);
        // The same block text at another position hashes differently (the chain includes the prefix).
        PromptBlocks shifted = PromptBlocks.of("x".repeat(16) + "You are a helpf", 16);
        assertTrue(shifted.hashes()[1] != a.hashes()[0]);
        assertEquals(0.0, PromptBlocks.of("", 16).matchRatio(0));
        assertEquals(32.0 / 42, a.matchRatio(2), 1e-9);
    }
}
