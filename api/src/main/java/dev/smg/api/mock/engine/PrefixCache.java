package dev.smg.api.mock.engine;

import java.util.HashMap;

/**
 * Block-granular prefix cache with LRU eviction. A prompt is cut into full blocks of
 * {@code blockSize} tokens; each block's key is the rolling FNV-1a-64 hash of every token id up to
 * the block's end, so a key stands for the whole prefix, not just the block. Partial tails are
 * never cached.
 *
 * <p>Blocks in use by a running request are pinned (reference-counted) and never evicted. When a
 * request is admitted its blocks are touched from last to first, so a prompt's leading blocks are
 * the most recently used and its deepest blocks go first, as a radix cache evicts leaves first.
 * Lookups and unpinning are not uses: only {@link #pin} moves a block in the LRU order.
 *
 * <p>Not thread-safe: owned by the engine thread.
 */
public final class PrefixCache {
    private static final long FNV64_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV64_PRIME = 0x100000001b3L;

    /** One cached block, a node of the LRU list; a pinned one is held by a running request. */
    static final class Block {
        private final long key;
        private int pins;
        private Block older;
        private Block newer;

        private Block(long key) {
            this.key = key;
        }
    }

    private final int blockSize;
    private final HashMap<Long, Block> index = new HashMap<>();
    /** Sentinel of the circular LRU list: {@code lru.newer} is the oldest block, {@code lru.older} the newest. */
    private final Block lru = new Block(0);
    private int pinnedBlocks;

    public PrefixCache(int blockSize) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be >= 1");
        }
        this.blockSize = blockSize;
        lru.older = lru;
        lru.newer = lru;
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

    /** How many of {@code keys}, from the first, are cached. */
    public int leadingHits(long[] keys) {
        int hits = 0;
        while (hits < keys.length && index.containsKey(keys[hits])) {
            hits++;
        }
        return hits;
    }

    /** Tokens of the first {@code count} blocks of {@code keys} that are cached and pinned by nobody. */
    public long unpinnedTokens(long[] keys, int count) {
        long tokens = 0;
        for (int i = 0; i < count; i++) {
            Block block = index.get(keys[i]);
            if (block != null && block.pins == 0) {
                tokens += blockSize;
            }
        }
        return tokens;
    }

    /**
     * Pins every block of {@code keys}, inserting missing ones, and marks them most recently used;
     * returns the blocks, for {@link #unpin}.
     */
    Block[] pin(long[] keys) {
        Block[] pinned = new Block[keys.length];
        for (int i = keys.length - 1; i >= 0; i--) {
            Block block = index.get(keys[i]);
            if (block == null) {
                block = new Block(keys[i]);
                index.put(keys[i], block);
            } else {
                unlink(block);
            }
            linkNewest(block);
            if (block.pins++ == 0) {
                pinnedBlocks++;
            }
            pinned[i] = block;
        }
        return pinned;
    }

    /** Undoes one {@link #pin}; the blocks stay cached, evictable once nobody pins them. */
    void unpin(Block[] pinned) {
        for (Block block : pinned) {
            if (--block.pins == 0) {
                pinnedBlocks--;
            }
        }
    }

    /**
     * Evicts unpinned blocks, least recently used first, while {@code otherTokens} plus the cached
     * tokens exceed {@code targetTokens}. Returns the number of blocks evicted.
     */
    public int evictDownTo(long targetTokens, long otherTokens) {
        int evicted = 0;
        Block block = lru.newer;
        while (otherTokens + tokens() > targetTokens && block != lru) {
            Block next = block.newer;
            if (block.pins == 0) {
                unlink(block);
                index.remove(block.key);
                evicted++;
            }
            block = next;
        }
        return evicted;
    }

    public boolean contains(long key) {
        return index.containsKey(key);
    }

    public int blocks() {
        return index.size();
    }

    /** Tokens held by cached blocks. */
    public long tokens() {
        return (long) index.size() * blockSize;
    }

    /** Tokens of cached blocks no running request pins: space that can be reclaimed at once. */
    public long evictableTokens() {
        return (long) (index.size() - pinnedBlocks) * blockSize;
    }

    private void unlink(Block block) {
        block.older.newer = block.newer;
        block.newer.older = block.older;
    }

    private void linkNewest(Block block) {
        block.older = lru.older;
        block.newer = lru;
        lru.older.newer = block;
        lru.older = block;
    }
}
