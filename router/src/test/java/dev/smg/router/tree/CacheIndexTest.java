package dev.smg.router.tree;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CacheIndexTest {
    private static void drain(CacheIndex index) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        index.afterPending(done::countDown);
        assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS));
    }

    @Test
    void readersSeeConsistentTreesWhileTheWriterInsertsAndEvicts() throws Exception {
        // A small bound so the writer evicts all the time while readers match.
        try (CacheIndex index = new CacheIndex(16 * 400, 16)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong reads = new AtomicLong();
            Thread[] readers = new Thread[4];
            for (int r = 0; r < readers.length; r++) {
                readers[r] = Thread.ofPlatform().start(() -> {
                    try {
                        while (!stop.get()) {
                            RadixTree t = index.tree("m");
                            t.checkInvariants();
                            assertTrue(t.blocks() <= 400, "published tree over its bound: " + t.blocks());
                            t.match(PromptBlocks.of("shared system prompt number 3 and more", 16).hashes(), x -> true);
                            reads.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            for (int i = 0; i < 20_000; i++) {
                String text = "shared system prompt number " + (i % 50) + " and more text for request " + i;
                while (!index.offer(new TreeInsert("m", "w" + (i % 8), PromptBlocks.of(text, 16).hashes()))) {
                    Thread.onSpinWait();
                }
            }
            drain(index);
            stop.set(true);
            for (Thread reader : readers) {
                reader.join();
            }
            assertNull(failure.get(), () -> "reader saw an inconsistent tree: " + failure.get());
            assertTrue(reads.get() > 0);
            assertTrue(index.evicted() > 0, "the bound forced evictions");
            assertTrue(index.tree("m").blocks() <= 400);
        }
    }

    @Test
    void aRemovedWorkerDisappearsFromEveryModelsTree() throws Exception {
        try (CacheIndex index = new CacheIndex(1_000_000, 16)) {
            long[] key = PromptBlocks.of("a prompt long enough for two blocks", 16).hashes();
            index.offer(new TreeInsert("m1", "http://w1:1", key));
            index.offer(new TreeInsert("m2", "http://w1:1", key));
            index.offer(new TreeInsert("m2", "http://w2:1", key));
            drain(index);
            index.removeTenant("http://w1:1");
            drain(index);
            assertEquals(0, index.tree("m1").blocks());
            assertEquals("http://w2:1", index.tree("m2").match(key, x -> true).tenant());
        }
    }

    @Test
    void insertsAreAppliedPromptly() {
        try (CacheIndex index = new CacheIndex(1_000_000, 16)) {
            index.offer(new TreeInsert("m", "w", new long[] {1, 2, 3}));
            await().atMost(Duration.ofSeconds(5)).until(() -> index.tree("m").blocks() == 3);
        }
    }
}
