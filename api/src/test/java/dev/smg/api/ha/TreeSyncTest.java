package dev.smg.api.ha;

import dev.smg.mesh.HaSettings;
import dev.smg.mesh.runtime.MeshNode;
import dev.smg.mesh.transport.EnvelopeLimits;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.tree.PromptBlocks;
import dev.smg.router.tree.TreeInsert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cache-tree replication between two real mesh nodes over gRPC on loopback. */
class TreeSyncTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private MeshNode node(String name, List<Integer> seeds) {
        MeshNode node = TestMesh.node(name, seeds);
        cleanup.add(node);
        return node;
    }

    private CacheIndex index() {
        CacheIndex index = new CacheIndex(1L << 40, 16);
        cleanup.add(index);
        return index;
    }

    private TreeSync sync(CacheIndex index, MeshNode node) {
        HaLoop loop = HaLoop.onThread("test-ha");
        cleanup.add(loop);
        TreeSync sync = new TreeSync(index, node, node.name(), loop, true, HaSettings.LAN.treeQueueCapacity());
        sync.start(HaSettings.LAN.treeFlush());
        return sync;
    }

    /**
     * Every recorded use, as text, so two trees can be compared entry by entry; with the router whose
     * request it was ({@code self} where the tree says "" for its own), which replication must keep.
     */
    private static Set<String> entries(CacheIndex index, String self) {
        Set<String> out = new HashSet<>();
        index.trees().forEach((model, tree) -> tree.forEachEntry((path, tenant, stamp, origin) ->
                out.add(model + "|" + tenant + "|" + stamp + "|" + java.util.Arrays.toString(path) + "|"
                        + (origin.isEmpty() ? self : origin))));
        return out;
    }

    private static void applied(CacheIndex index) throws Exception {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        index.afterPending(() -> done.complete(null));
        done.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aRouterStartingEmptyRestoresAHundredThousandEntriesInChunksUnderTheMessageCap() throws Exception {
        MeshNode a = node("a", List.of());
        MeshNode b = node("b", List.of(a.port()));
        TestMesh.awaitAlive(2, a, b);
        CacheIndex full = index();
        for (int i = 0; i < 100_000; i++) {
            long[] blocks = PromptBlocks.of("conversation " + i + " of a long-running benchmark, turn one.", 16).hashes();
            TreeInsert insert = new TreeInsert("model-" + (i % 3), "http://10.0.0." + (i % 8) + ":8000", blocks,
                    1_700_000_000_000L + i);
            while (!full.tryOfferRemote(insert)) {
                LockSupport.parkNanos(100_000L); // the writer drains its bounded queue
            }
        }
        applied(full);
        Set<String> expected = entries(full, "a");
        assertEquals(100_000, expected.size());
        TreeSync source = sync(full, a);

        CacheIndex empty = index();
        TreeSync joiner = sync(empty, b);
        int restored = joiner.restoreFrom("a").get(60, TimeUnit.SECONDS);
        assertEquals(100_000, restored);
        assertEquals(expected, entries(empty, "b")); // a's own entries arrive as a's
        assertTrue(source.restoreChunksSent() >= 5, source.restoreChunksSent() + " chunks");
        assertTrue(source.largestRestoreChunk() < EnvelopeLimits.MAX_MESSAGE_BYTES,
                "largest chunk " + source.largestRestoreChunk());
    }

    @Test
    void localInsertsReachThePeerWithTheirStamps() throws Exception {
        MeshNode a = node("a", List.of());
        MeshNode b = node("b", List.of(a.port()));
        TestMesh.awaitAlive(2, a, b);
        CacheIndex ia = index();
        CacheIndex ib = index();
        sync(ia, a);
        sync(ib, b);
        for (int i = 0; i < 500; i++) {
            ia.offer(new TreeInsert("m", "http://w" + (i % 4) + ":1", PromptBlocks.of("prompt number " + i, 16).hashes()));
        }
        applied(ia);
        Set<String> expected = entries(ia, "a");
        await().atMost(Duration.ofSeconds(30)).until(() -> entries(ib, "b").equals(expected)); // origin a
    }
}
