package dev.smg.router.tree;

/**
 * A prompt as the cache-aware tree sees it: the text cut into fixed-size character blocks, each
 * identified by a 64-bit hash chained over every block before it (so equal hashes at position i
 * mean equal prefixes up to block i, with overwhelming probability). A last, shorter block is
 * hashed with its length, so short prompts still match exactly equal ones.
 *
 * <p>Why blocks of hashes rather than characters: an insert is then a short array of longs that can
 * be replicated to other routers as it is (a 4,096-character prompt is 256 longs with 16-character
 * blocks, never the prompt text itself), and a router applying it builds the same tree.
 *
 * @param hashes     chained block hashes, the tree's key
 * @param chars      length of the text in characters (UTF-16 units)
 * @param blockChars block size used
 */
public record PromptBlocks(long[] hashes, int chars, int blockChars) {
    public static final int DEFAULT_BLOCK_CHARS = 16;
    private static final long SEED = 0x9E3779B97F4A7C15L;

    public static PromptBlocks of(CharSequence text, int blockChars) {
        int n = text.length();
        int blocks = (n + blockChars - 1) / blockChars;
        long[] hashes = new long[blocks];
        long h = SEED;
        for (int b = 0; b < blocks; b++) {
            int start = b * blockChars;
            int end = Math.min(n, start + blockChars);
            long block = h;
            for (int i = start; i < end; i++) {
                block = (block ^ text.charAt(i)) * 0x100000001B3L; // FNV-1a step, seeded with the chain
            }
            block ^= end - start; // a short tail differs from a full block with the same start
            h = mix(block);
            hashes[b] = h;
        }
        return new PromptBlocks(hashes, n, blockChars);
    }

    /** Characters covered by the first {@code blocks} blocks. */
    public int charsIn(int blocks) {
        return Math.min(chars, blocks * blockChars);
    }

    /** Fraction of the text covered by the first {@code blocks} blocks (0 for empty text). */
    public double matchRatio(int blocks) {
        return chars == 0 ? 0.0 : (double) charsIn(blocks) / chars;
    }

    /** A 64-bit finalizer (splitmix64's): spreads FNV's weak low bits over the whole word. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
