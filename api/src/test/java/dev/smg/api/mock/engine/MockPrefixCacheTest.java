package dev.smg.api.mock.engine;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Block keys, prefix hits and LRU eviction of the prefix cache. */
class MockPrefixCacheTest {
    private static int[] tokens(int from, int count) {
        return IntStream.range(from, from + count).toArray();
    }

    private static long[] keys(int from, int count) {
        return PrefixCache.blockKeys(tokens(from, count), 16);
    }

    @Test
    void onlyFullBlocksHaveKeysAndEachKeyStandsForTheWholePrefix() {
        int[] t = tokens(0, 40);
        long[] k = PrefixCache.blockKeys(t, 16);
        assertEquals(2, k.length, "40 tokens: two full blocks, the 8-token tail has no key");

        int[] tailChanged = t.clone();
        tailChanged[35] = 7;
        assertEquals(k[0], PrefixCache.blockKeys(tailChanged, 16)[0]);
        assertEquals(k[1], PrefixCache.blockKeys(tailChanged, 16)[1]);

        int[] secondBlockChanged = t.clone();
        secondBlockChanged[20] = 7;
        assertEquals(k[0], PrefixCache.blockKeys(secondBlockChanged, 16)[0]);
        assertNotEquals(k[1], PrefixCache.blockKeys(secondBlockChanged, 16)[1]);

        int[] firstTokenChanged = t.clone();
        firstTokenChanged[0] = 7;
        long[] other = PrefixCache.blockKeys(firstTokenChanged, 16);
        assertNotEquals(k[0], other[0]);
        assertNotEquals(k[1], other[1], "a block's key depends on every token before it");
    }

    @Test
    void blockKeysAreRollingFnv1a64OverLittleEndianIds() {
        // FNV-1a-64 of the bytes 01 00 00 00 (token id 1), block size 1.
        long hash = 0xcbf29ce484222325L;
        for (int b : new int[] {1, 0, 0, 0}) {
            hash ^= b;
            hash *= 0x100000001b3L;
        }
        assertEquals(hash, PrefixCache.blockKeys(new int[] {1}, 1)[0]);
    }

    @Test
    void aRepeatedPrefixHitsItsLeadingBlocksOnly() {
        PrefixCache cache = new PrefixCache(16);
        cache.unpin(cache.pin(keys(0, 100)));
        assertEquals(6, cache.blocks());
        assertEquals(6, cache.leadingHits(keys(0, 100)));
        assertEquals(6, cache.leadingHits(keys(0, 200)), "a longer prompt with the same start");
        int[] diverging = tokens(0, 100);
        diverging[50] = -1;
        assertEquals(3, cache.leadingHits(PrefixCache.blockKeys(diverging, 16)));
        assertEquals(0, cache.leadingHits(keys(1, 100)));
    }

    @Test
    void evictionRemovesLeastRecentlyUsedUnpinnedBlocksDeepestFirst() {
        PrefixCache cache = new PrefixCache(16);
        long[] a = keys(0, 64);
        long[] b = keys(1000, 64);
        long[] c = keys(2000, 64);
        cache.unpin(cache.pin(a));
        cache.unpin(cache.pin(b));
        cache.unpin(cache.pin(a)); // a used again: now b is the least recently used
        cache.pin(c); // c is running: pinned
        assertEquals(12 * 16, cache.tokens());

        assertEquals(2, cache.evictDownTo(10 * 16, 0));
        assertTrue(cache.contains(b[0]) && cache.contains(b[1]), "b's leading blocks stay");
        assertFalse(cache.contains(b[2]) || cache.contains(b[3]), "b's deepest blocks go first");
        assertEquals(4, cache.leadingHits(a));

        assertEquals(6, cache.evictDownTo(0, 0), "every unpinned block goes; c stays, pinned");
        assertEquals(4, cache.blocks());
        assertEquals(4, cache.leadingHits(c));
    }

    @Test
    void evictionCountsTokensHeldOutsideTheCache() {
        PrefixCache cache = new PrefixCache(16);
        long[] a = keys(0, 160);
        cache.unpin(cache.pin(a));
        assertEquals(0, cache.evictDownTo(200, 40), "160 + 40 is not above 200");
        assertEquals(1, cache.evictDownTo(200, 41));
        assertEquals(9, cache.blocks());
    }

    @Test
    void schedulerEvictsBetweenTheWatermarksAndKeepsRecentlyUsedPrefixes() {
        // 10 blocks of capacity: eviction starts above 147.2 tokens and stops at 136 or below.
        Scheduler scheduler = new Scheduler(new EngineSettings(8000, 6.0, 0.35, 2048, 256, 160, 16, true, 8, 4096));
        int[] a = tokens(0, 64);
        int[] b = tokens(1000, 64);
        int[] c = tokens(2000, 64);
        for (int[] prompt : new int[][] {a, b, a, c}) {
            scheduler.enqueue(new Generation(prompt, 1));
            while (!scheduler.idle()) {
                scheduler.step();
            }
        }
        // a, b: 128 tokens, under the high watermark. c brings it to 192: b, the least recently
        // used, loses blocks until 136 or less remain.
        PrefixCache cache = scheduler.cache();
        assertEquals(8, cache.blocks());
        assertEquals(4, cache.leadingHits(PrefixCache.blockKeys(a, 16)));
        assertEquals(4, cache.leadingHits(PrefixCache.blockKeys(c, 16)));
        assertEquals(0, cache.leadingHits(PrefixCache.blockKeys(b, 16)));
        assertTrue(scheduler.usedTokens() <= 0.85 * 160);
    }
}
