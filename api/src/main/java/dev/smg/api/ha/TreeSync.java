package dev.smg.api.ha;

import dev.smg.mesh.runtime.MeshNode;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.tree.RadixTree;
import dev.smg.router.tree.TreeInsert;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Replicates the cache-aware routing trees between routers.
 * <ul>
 *   <li><b>Inserts</b>: every local insert (model, worker URL, block hashes, wall-clock stamp) is
 *       queued in a bounded lock-free queue (full: dropped and counted) and shipped to every peer in
 *       batches every {@value #FLUSH_MILLIS} ms; peers hand them to their own tree writer. A prompt
 *       first routed through one router is then routed to the same worker by all of them.</li>
 *   <li><b>Eviction</b> needs no messages: stamps are wall-clock times carried with the inserts, and
 *       every router evicts least-recently-used leaves by those stamps under the same bound, so
 *       routers that have seen the same inserts evict the same entries.</li>
 *   <li><b>Restore</b>: a router that starts (or restarts) empty asks one peer for its trees; the
 *       peer answers with the minimal list of entries that rebuilds them, in chunks of at most
 *       {@value #MAX_MESSAGE_BYTES} bytes (under the mesh's message cap).</li>
 * </ul>
 * Lost insert batches are not re-sent: a tree is a routing hint, and the next request with that
 * prefix inserts it again. A removed worker leaves every tree through the worker registry.
 */
public final class TreeSync implements Restorable, AutoCloseable {
    static final String INSERTS = "trees.inserts";
    static final int FLUSH_MILLIS = 20;
    static final int MAX_MESSAGE_BYTES = ChannelSnapshot.MAX_CHUNK_BYTES;
    static final int QUEUE_CAPACITY = 65_536;
    private static final System.Logger LOG = System.getLogger(TreeSync.class.getName());

    private final CacheIndex index;
    private final MeshNode mesh;
    private final MpscAtomicArrayQueue<TreeInsert> outbound = new MpscAtomicArrayQueue<>(QUEUE_CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();

    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("smg-tree-sync").factory());
    /** Applies restore chunks and answers restore requests: both may wait, so never on a gRPC thread. */
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("smg-tree-restore").factory());
    private final ChannelSnapshot snapshot;

    private final boolean replicate;

    /** @param replicate false ({@code --disable-tree-sync}): trees stay local; peers' messages are ignored */
    public TreeSync(CacheIndex index, MeshNode mesh, boolean replicate) {
        this.index = index;
        this.mesh = mesh;
        this.replicate = replicate;
        this.snapshot = new ChannelSnapshot(mesh, "trees", this::entries, this::apply, worker, index::afterPending);
    }

    public void start() {
        if (!replicate) {
            mesh.onChannel(INSERTS, (from, data, origin) -> { });
            snapshot.listen(false);
            return;
        }
        index.onLocalInsert(insert -> {
            if (!outbound.offer(insert)) {
                dropped.incrementAndGet();
            }
        });
        mesh.onChannel(INSERTS, (from, data, origin) -> {
            List<TreeInsert> inserts = TreeCodec.decode(new ByteArrayInputStream(data.toByteArray()));
            for (TreeInsert insert : inserts) {
                if (!index.offerRemote(insert)) {
                    break; // the writer's queue is full: the rest would be dropped (and counted) too
                }
            }
            received.addAndGet(inserts.size());
        });
        snapshot.listen(true);
        flusher.scheduleWithFixedDelay(this::flush, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Local inserts not replicated because the outbound queue was full. */
    public long dropped() {
        return dropped.get();
    }

    public long sent() {
        return sent.get();
    }

    public long received() {
        return received.get();
    }

    /** Chunks sent answering restore requests, and the largest one in bytes. */
    public long restoreChunksSent() {
        return snapshot.chunksSent();
    }

    public long largestRestoreChunk() {
        return snapshot.largestChunk();
    }

    private void flush() {
        try {
            List<TreeInsert> batch = new ArrayList<>();
            int bytes = 0;
            TreeInsert insert;
            while ((insert = outbound.poll()) != null) {
                batch.add(insert);
                bytes += TreeCodec.size(insert);
                if (bytes >= MAX_MESSAGE_BYTES / 2) {
                    ship(batch);
                    batch = new ArrayList<>();
                    bytes = 0;
                }
            }
            if (!batch.isEmpty()) {
                ship(batch);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "tree sync flush failed", e);
        }
    }

    private void ship(List<TreeInsert> batch) {
        if (mesh.broadcast(INSERTS, TreeCodec.encode(batch))) {
            sent.addAndGet(batch.size());
        } else {
            dropped.addAndGet(batch.size());
        }
    }

    // ------------------------------------------------------------------ restore

    /**
     * Asks {@code peer} for its trees. The future completes with the number of entries applied once
     * every chunk has arrived and reached the tree writer.
     */
    @Override
    public String what() {
        return "cache-tree entries";
    }

    @Override
    public CompletableFuture<Integer> restoreFrom(String peer) {
        if (!replicate) {
            return CompletableFuture.completedFuture(0);
        }
        return snapshot.requestFrom(peer);
    }

    /** The fewest entries that rebuild every tree here, one record each. */
    private void entries(Consumer<byte[]> sink) {
        for (Map.Entry<String, RadixTree> tree : index.trees().entrySet()) {
            String model = tree.getKey();
            tree.getValue().forEachEntry((path, tenant, stamp) ->
                    sink.accept(TreeCodec.encode(List.of(new TreeInsert(model, tenant, path, stamp)))));
        }
    }

    /** Applies restored entries, waiting for room in the writer's queue: a restore must not lose any. */
    private void apply(List<byte[]> records) {
        for (byte[] record : records) {
            for (TreeInsert insert : TreeCodec.decode(new ByteArrayInputStream(record))) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!index.tryOfferRemote(insert) && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(200_000L);
                }
            }
        }
    }

    @Override
    public void close() {
        flusher.shutdownNow();
        worker.shutdownNow();
    }
}
