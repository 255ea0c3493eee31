package dev.smg.router.policy;

/**
 * Cache-aware thresholds (flags with upstream's names and CLI defaults).
 *
 * @param cacheThreshold minimum matched fraction of the prompt to follow the cache, in [0, 1] (0.3)
 * @param balanceAbs     in-flight spread (max − min) beyond which load wins over cache (64)
 * @param balanceRel     ... and max must also exceed min × this, at least 1.0 (1.5)
 * @param blockChars     characters per tree block (16)
 */
public record CacheAwareSettings(double cacheThreshold, int balanceAbs, double balanceRel, int blockChars) {
    public static final CacheAwareSettings DEFAULTS = new CacheAwareSettings(0.3, 64, 1.5, 16);

    public CacheAwareSettings {
        if (cacheThreshold < 0 || cacheThreshold > 1 || balanceAbs < 0 || balanceRel < 1.0 || blockChars < 1) {
            throw new IllegalArgumentException("bad cache-aware settings");
        }
    }
}
