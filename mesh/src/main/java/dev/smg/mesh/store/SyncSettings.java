package dev.smg.mesh.store;

import dev.smg.mesh.transport.EnvelopeLimits;

import java.time.Duration;

/**
 * Timings and bounds of replicated-state sync: eager delta pushes, digest anti-entropy, repairs and
 * garbage collection. {@link #LAN} holds the defaults (the {@code lan} profile of
 * {@code dev.smg.mesh.MeshTuning}).
 *
 * @param antiEntropyInterval how often a node compares digests with one random peer (2 s). Shorter
 *                            repairs lost pushes sooner at ~0.5 KiB per namespace per round; longer
 *                            costs less when the state is large ({@code --mesh-sync-interval-ms})
 * @param garbageInterval     how often the values of removed keys are dropped from the store (60 s)
 * @param repairChunkBytes    largest repair (and joiner catch-up) message (1 MiB); must stay well under
 *                            the mesh's 4 MiB message cap, which every member enforces
 * @param queueCapacity       digests and repairs waiting for the sync thread (256); beyond it they are
 *                            dropped and counted, and the next round repeats them
 * @param wholeNamespaceKeys  a namespace with at most this many live keys is sent whole, with its full
 *                            causal context, when anything in it differs (512): cheap, and it leaves no
 *                            holes in the receiver's context
 * @param pushBatchWrites     local writes coalesced into one eager push before it is sent early (256);
 *                            otherwise a push goes at the end of each mesh-loop batch
 */
public record SyncSettings(Duration antiEntropyInterval, Duration garbageInterval, int repairChunkBytes,
                           int queueCapacity, int wholeNamespaceKeys, int pushBatchWrites) {
    /** Room left in the mesh's message cap for a repair's envelope, contexts and notices. */
    private static final int ENVELOPE_HEADROOM = 1024 * 1024;
    /** A whole namespace is only sent when it fits a chunk with this much to spare (see StoreSync). */
    static final int WHOLE_NAMESPACE_SPARE_BYTES = 64 * 1024;

    public static final SyncSettings LAN = new SyncSettings(Duration.ofSeconds(2), Duration.ofSeconds(60),
            1024 * 1024, 256, 512, 256);

    public SyncSettings {
        positive("anti-entropy interval", antiEntropyInterval);
        positive("garbage interval", garbageInterval);
        int maxChunk = EnvelopeLimits.MAX_MESSAGE_BYTES - ENVELOPE_HEADROOM;
        if (repairChunkBytes <= 2 * WHOLE_NAMESPACE_SPARE_BYTES || repairChunkBytes > maxChunk) {
            throw new IllegalArgumentException("repair chunk bytes must be between " + (2 * WHOLE_NAMESPACE_SPARE_BYTES + 1)
                    + " and " + maxChunk + " (under the 4 MiB message cap), got " + repairChunkBytes);
        }
        atLeast("sync queue capacity", queueCapacity, 1);
        atLeast("whole-namespace keys", wholeNamespaceKeys, 0);
        atLeast("push batch writes", pushBatchWrites, 1);
    }

    private static void atLeast(String what, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(what + " must be at least " + min + ", got " + value);
        }
    }

    private static void positive(String what, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + value.toMillis() + " ms");
        }
    }

    /** The same settings with another anti-entropy interval. */
    public SyncSettings withAntiEntropyInterval(Duration interval) {
        return new SyncSettings(interval, garbageInterval, repairChunkBytes, queueCapacity, wholeNamespaceKeys,
                pushBatchWrites);
    }
}
