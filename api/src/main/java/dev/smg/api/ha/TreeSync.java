package dev.smg.api.ha;

import com.google.protobuf.ByteString;
import dev.smg.mesh.channel.ChannelSnapshot;
import dev.smg.mesh.channel.Channels;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.tree.RadixTree;
import dev.smg.router.tree.TreeInsert;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Replicates the cache-aware routing trees between routers.
 * <ul>
 *   <li><b>Inserts</b>: every local insert (model, worker URL, block hashes, wall-clock stamp) is
 *       queued in a bounded lock-free queue (full: dropped and counted) and shipped to every peer in
 *       batches every {@code HaSettings.treeFlush} (20 ms) from the HA loop; peers hand them to their own tree
 *       writer. A prompt first routed through one router is then routed to the same worker by all.</li>
 *   <li><b>Eviction</b> needs no messages: stamps are wall-clock times carried with the inserts, and
 *       every router evicts least-recently-used leaves by those stamps under the same bound, so
 *       routers that have seen the same inserts evict the same entries.</li>
 *   <li><b>Restore</b>: a router that starts (or restarts) empty asks one peer for its trees; the
 *       peer answers with the minimal list of entries that rebuilds them ({@link ChannelSnapshot}).</li>
 * </ul>
 * Lost insert batches are not re-sent: a tree is a routing hint, and the next request with that
 * prefix inserts it again. A removed worker leaves every tree through the worker registry.
 */
public final class TreeSync implements Restorable {
    static final String INSERTS = "trees.inserts";
    static final int MAX_MESSAGE_BYTES = ChannelSnapshot.MAX_CHUNK_BYTES;
    /** How long a restore waits for room in the tree writer's queue before it gives up on an entry. */
    private static final long RESTORE_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long RESTORE_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final System.Logger LOG = System.getLogger(TreeSync.class.getName());

    private final CacheIndex index;
    private final Channels mesh;
    private final HaLoop loop;
    private final MpscAtomicArrayQueue<TreeInsert> outbound;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final ChannelSnapshot snapshot;
    private final boolean replicate;
    private final String self;

    /** @param replicate false ({@code --disable-tree-sync}): trees stay local; peers' messages are ignored */
    /** @param self this router's member name: the origin its own entries carry in snapshots */
    public TreeSync(CacheIndex index, Channels mesh, String self, HaLoop loop, boolean replicate, int queueCapacity) {
        this.index = index;
        this.self = self;
        this.outbound = new MpscAtomicArrayQueue<>(queueCapacity);
        this.mesh = mesh;
        this.loop = loop;
        this.replicate = replicate;
        this.snapshot = new ChannelSnapshot(mesh, "trees", this::entries, this::apply, loop, loop.nanoTime());
    }

    /** @param flushEvery how often queued inserts are shipped ({@code HaSettings.treeFlush}) */
    public void start(Duration flushEvery) {
        if (!replicate) {
            mesh.onChannel(INSERTS, (from, data, origin) -> { });
            snapshot.listen(false);
            return;
        }
        index.replicateTo(insert -> {
            if (!outbound.offer(insert)) {
                dropped.incrementAndGet();
            }
        });
        mesh.onChannel(INSERTS, (from, data, origin) -> {
            // Inserts are broadcast by the router that made them, so their sender is their origin.
            List<TreeInsert> inserts = TreeCodec.decode(data, from); // malformed: refused and counted by the mesh
            for (TreeInsert insert : inserts) {
                if (!index.offerRemote(insert)) {
                    break; // the writer's queue is full: the rest would be dropped (and counted) too
                }
            }
            received.addAndGet(inserts.size());
        });
        snapshot.listen(true);
        loop.every(flushEvery, this::flush);
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
    }

    private void ship(List<TreeInsert> batch) {
        if (mesh.broadcast(INSERTS, TreeCodec.encode(batch))) {
            sent.addAndGet(batch.size());
        } else {
            dropped.addAndGet(batch.size());
        }
    }

    // ------------------------------------------------------------------ restore

    @Override
    public String what() {
        return "cache-tree entries";
    }

    /**
     * Asks {@code peer} for its trees. The future completes with the number of entries applied once
     * every chunk has arrived and reached the tree writer.
     */
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
            tree.getValue().forEachEntry((path, tenant, stamp, origin) -> sink.accept(TreeCodec.entry(
                    new TreeInsert(model, tenant, path, stamp, origin.isEmpty() ? self : origin)).toByteArray()));
        }
    }

    /**
     * Applies restored entries: a restore must not lose any, so an entry that finds the writer's queue
     * full is offered again a millisecond later (the loop is never blocked). The stage completes once
     * the tree writer has applied them all.
     */
    private CompletionStage<Void> apply(List<ByteString> records) {
        ArrayDeque<TreeInsert> inserts = new ArrayDeque<>(records.size());
        for (ByteString record : records) {
            try {
                inserts.add(TreeCodec.decodeEntry(record));
            } catch (IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, "restored tree entry refused: {0}", e.getMessage());
            }
        }
        CompletableFuture<Void> applied = new CompletableFuture<>();
        offerRestored(inserts, loop.nanoTime() + RESTORE_PATIENCE_NANOS, applied);
        return applied;
    }

    private void offerRestored(ArrayDeque<TreeInsert> inserts, long deadline, CompletableFuture<Void> applied) {
        while (!inserts.isEmpty()) {
            if (index.tryOfferRemote(inserts.peekFirst())) {
                inserts.pollFirst();
            } else if (loop.nanoTime() < deadline) {
                loop.schedule(RESTORE_RETRY_NANOS, () -> offerRestored(inserts, deadline, applied));
                return;
            } else {
                LOG.log(System.Logger.Level.WARNING, "tree writer busy for {0} s: {1} restored entries dropped",
                        TimeUnit.NANOSECONDS.toSeconds(RESTORE_PATIENCE_NANOS), inserts.size());
                break;
            }
        }
        index.afterPending(() -> applied.complete(null));
    }
}
