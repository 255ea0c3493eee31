package dev.smg.mesh.store;

import com.google.protobuf.ByteString;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.crdt.HlcTimestamp;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.runtime.MeshLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplicatedStoreTest {
    private static final Namespace<GCounter> REQUESTS = new Namespace<>("requests", GCounter.EMPTY);
    private static final Namespace<LwwRegister<ByteString>> WORKERS = new Namespace<>("workers", LwwRegister.empty());
    private final List<MeshLoop> loops = new ArrayList<>();

    @AfterEach
    void stop() {
        loops.forEach(MeshLoop::close);
    }

    private ReplicatedStore store(String replica) {
        MeshLoop loop = new MeshLoop("test-loop-" + replica);
        loops.add(loop);
        ReplicatedStore store = new ReplicatedStore(replica, loop, List.of(REQUESTS, WORKERS));
        loop.start();
        return store;
    }

    @Test
    void concurrentWritersLoseNothingAndReadersNeverSeeATornSnapshot() throws Exception {
        ReplicatedStore store = store("a");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            long last = -1;
            while (store.snapshot().get(REQUESTS).get("total").map(GCounter::value).orElse(0L) < 8_000) {
                StoreSnapshot s = store.snapshot();
                long total = s.get(REQUESTS).get("total").map(GCounter::value).orElse(0L);
                if (total < last || s.version() < 0) {
                    failure.compareAndSet(null, new AssertionError("went backwards: " + total + " < " + last));
                }
                last = total;
            }
        });
        Thread[] writers = new Thread[8];
        for (int w = 0; w < writers.length; w++) {
            writers[w] = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    while (!store.update(REQUESTS, "total", c -> c.incrementDelta("a", 1))) {
                        Thread.onSpinWait();
                    }
                }
            });
        }
        for (Thread w : writers) {
            w.join();
        }
        reader.join(Duration.ofSeconds(30));
        assertNull(failure.get());
        assertEquals(8_000, store.snapshot().get(REQUESTS).get("total").orElseThrow().value());
    }

    @Test
    void localDeltasReplicateAndSubscribersHearWhichKeysChanged() {
        ReplicatedStore a = store("a");
        ReplicatedStore b = store("b");
        a.deltasTo((ns, delta) -> b.mergeRemote(ns, delta)); // a stand-in for delta gossip
        ConcurrentLinkedQueue<String> heard = new ConcurrentLinkedQueue<>();
        b.subscribe((ns, keys, snapshot) -> keys.forEach(k -> heard.add(ns + "/" + k)));

        ByteString ready = ByteString.copyFromUtf8("ready");
        a.update(WORKERS, "http://w1:8000", r -> new LwwRegister<>(ready, new HlcTimestamp(1, 0, "a")));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.snapshot().get(WORKERS).get("http://w1:8000")
                .map(LwwRegister::value).orElse(ByteString.EMPTY).equals(ready));
        assertTrue(heard.contains("workers/http://w1:8000"));

        a.remove(WORKERS, "http://w1:8000");
        await().atMost(Duration.ofSeconds(5)).until(() -> b.snapshot().get(WORKERS).get("http://w1:8000").isEmpty());
        assertEquals(0, b.snapshot().size(WORKERS));
    }

    @Test
    void aDeltaForAnUndeclaredNamespaceIsRefusedNotMergedWithTheWrongSemantics() {
        ReplicatedStore a = store("a");
        a.mergeRemote("no-such-namespace", CrdtMap.<String, GCounter>empty());
        await().atMost(Duration.ofSeconds(5)).until(() -> a.refused() == 1);
        assertEquals(Set.of("requests", "workers"), a.snapshot().namespaces().keySet());
    }

    @Test
    void aRemoteRemovalAmongManyKeysIsHeardAndPublishedWhileADuplicateIsNeither() {
        MeshLoop loop = new MeshLoop("driven"); // never started: this thread runs its batches
        loops.add(loop);
        ReplicatedStore b = new ReplicatedStore("b", loop, List.of(REQUESTS, WORKERS));
        List<Set<String>> heard = new ArrayList<>();
        b.subscribe((ns, keys, snapshot) -> heard.add(keys));
        CrdtMap<String, GCounter> a = CrdtMap.empty(); // the peer's replica of the namespace
        for (int i = 0; i < 2000; i++) {
            CrdtMap<String, GCounter> delta = a.updateDelta("a", "k" + i, GCounter.EMPTY.incrementDelta("a", 1));
            a = a.merge(delta);
            b.mergeRemote(REQUESTS.name(), delta);
        }
        loop.runBatch();
        assertEquals(2000, b.snapshot().size(REQUESTS));
        StoreSnapshot full = b.snapshot();
        heard.clear();

        CrdtMap<String, GCounter> removal = a.removeDelta("k1234");
        b.mergeRemote(REQUESTS.name(), removal);
        loop.runBatch();
        assertEquals(List.of(Set.of("k1234")), heard, "only the removed key is reported");
        assertEquals(1999, b.snapshot().size(REQUESTS));
        assertEquals(2000, full.size(REQUESTS), "an earlier snapshot is never changed");
        long version = b.snapshot().version();

        b.mergeRemote(REQUESTS.name(), removal); // again: already merged
        loop.runBatch();
        assertEquals(version, b.snapshot().version(), "a duplicate publishes nothing");
        assertEquals(1, heard.size(), "and tells nobody");
    }
}
