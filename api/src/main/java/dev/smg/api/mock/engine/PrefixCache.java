package dev.smg.api.mock.engine;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Block-granular prefix cache with LRU eviction. A prompt is cut into full blocks of
 * {@code blockSize} tokens; each block's key is the rolling FNV-1a-64 hash of every token id up to
 * the block's end, so a key stands for the whole prefix, not just the block. Partial tails are
 * never cached.
 *
 * <p>Blocks in use by a running request are pinned (reference-counted) and never evicted. When a
 * request is admitted its blocks are touched from last to first, so a prompt's leading blocks are
 * the most recently used and its deepest blocks go first, as a radix cache evicts leaves first.
 *
 * <p>Not thread-safe: owned by the engine thread.
 */
public final class PrefixCache {
    private static final long FNV64_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV64_PRIME = 0x100000001b3L;

    /** One cached block; a pinned one is held by a running request. */
    static final class Block {
        private int pins;
    }

    private final int blockSize;
    /** Access-ordered: iteration starts at the least recently used block. */
    private final LinkedHashMap<Long, Block> blocks = new LinkedHashMap<>(1024, 0.75f, true);

    public PrefixCache(int blockSize) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be >= 1");
        }
        this.blockSize = blockSize;
    }

    /** The keys of every full block of {@code tokens}: rolling FNV-1a-64 over little-endian ids. */
    public static long[] blockKeys(int[] tokens, int blockSize) {
        long[] keys = new long[tokens.length / blockSize];
        long hash = FNV64_OFFSET;
        for (int i = 0; i < keys.length * blockSize; i++) {
            int id = tokens[i];
            for (int shift = 0; shift < 32; shift += 8) {
                hash ^= (id >>> shift) & 0xff;
                hash *= FNV64_PRIME;
            }
            if ((i + 1) % blockSize == 0) {
                keys[i / blockSize] = hash;
            }
        }
        return keys;
    }

    /** How many of {@code keys}, from the first, are cached; does not count as a use. */
    public int leadingHits(long[] keys) {
        int hits = 0;
        while (hits < keys.length && blocks.containsKey(keys[hits])) {
            hits++;
        }
        return hits;
    }

    /**
     * Pins every block of {@code keys}, inserting missing ones, and marks them most recently used;
     * returns the blocks, for {@link #unpin}.
     */
    Block[] pin(long[] keys) {
        Block[] pinned = new Block[keys.length];
        for (int i = keys.length - 1; i >= 0; i--) {
            Block block = blocks.get(keys[i]); // a get is a use: moves the block to the recent end
            if (block == null) {
                block = new Block();
                blocks.put(keys[i], block);
            }
            block.pins++;
            pinned[i] = block;
        }
        return pinned;
    }

    /**
     * Undoes one {@link #pin}; the blocks stay cached, evictable once no one pins them. Goes through
     * the handles, not the map, so releasing a block is not a use of it.
     */
    void unpin(Block[] pinned) {
        for (Block block : pinned) {
            block.pins--;
        }
    }

    /**
     * Evicts unpinned blocks, least recently used first, while {@code otherTokens} plus the cached
     * tokens exceed {@code targetTokens}. Returns the number of blocks evicted.
     */
    public int evictDownTo(long targetTokens, long otherTokens) {
        int evicted = 0;
        Iterator<Map.Entry<Long, Block>> it = blocks.entrySet().iterator();
        while (otherTokens + tokens() > targetTokens && it.hasNext()) {
            if (it.next().getValue().pins == 0) {
                it.remove();
                evicted++;
            }
        }
        return evicted;
    }

    public boolean contains(long key) {
        return blocks.containsKey(key);
    }

    public int blocks() {
        return blocks.size();
    }

    /** Tokens held by cached blocks. */
    public long tokens() {
        return (long) blocks.size() * blockSize;
    }

    public int blockSize() {
        return blockSize;
    }
}
