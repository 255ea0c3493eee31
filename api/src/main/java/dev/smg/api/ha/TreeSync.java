package dev.smg.api.ha;

import dev.smg.mesh.runtime.MeshNode;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.tree.RadixTree;
import dev.smg.router.tree.TreeInsert;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

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
public final class TreeSync implements AutoCloseable {
    static final String INSERTS = "trees.inserts";
    static final String SYNC_REQUEST = "trees.sync-request";
    static final String SNAPSHOT = "trees.snapshot";
    static final int FLUSH_MILLIS = 20;
    static final int MAX_MESSAGE_BYTES = 1024 * 1024;
    static final int QUEUE_CAPACITY = 65_536;
    private static final System.Logger LOG = System.getLogger(TreeSync.class.getName());

    private final CacheIndex index;
    private final MeshNode mesh;
    private final MpscAtomicArrayQueue<TreeInsert> outbound = new MpscAtomicArrayQueue<>(QUEUE_CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong restoreChunksSent = new AtomicLong();
    private final AtomicLong largestRestoreChunk = new AtomicLong();
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("smg-tree-sync").factory());
    /** Applies restore chunks and answers restore requests: both may wait, so never on a gRPC thread. */
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("smg-tree-restore").factory());
    private final SplittableRandom random = new SplittableRandom();
    private Restore restore; // worker thread only

    private static final class Restore {
        final long id;
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        final Set<Integer> chunks = new HashSet<>();
        int total = -1;
        int entries;

        Restore(long id) {
            this.id = id;
        }
    }

    private final boolean replicate;

    /** @param replicate false ({@code --disable-tree-sync}): trees stay local; peers' messages are ignored */
    public TreeSync(CacheIndex index, MeshNode mesh, boolean replicate) {
        this.index = index;
        this.mesh = mesh;
        this.replicate = replicate;
    }

    public void start() {
        if (!replicate) {
            for (String channel : new String[] {INSERTS, SYNC_REQUEST, SNAPSHOT}) {
                mesh.onChannel(channel, (from, data, origin) -> { });
            }
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
        mesh.onChannel(SYNC_REQUEST, (from, data, origin) -> {
            if (data.size() != Long.BYTES) {
                throw new IllegalArgumentException("a tree sync request is one 8-byte id");
            }
            long id = java.nio.ByteBuffer.wrap(data.toByteArray()).getLong();
            worker.execute(() -> answerRestore(from, id));
        });
        mesh.onChannel(SNAPSHOT, (from, data, origin) -> {
            byte[] bytes = data.toByteArray();
            worker.execute(() -> applyChunk(from, bytes));
        });
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
        return restoreChunksSent.get();
    }

    public long largestRestoreChunk() {
        return largestRestoreChunk.get();
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
    public CompletableFuture<Integer> restoreFrom(String peer) {
        if (!replicate) {
            return CompletableFuture.completedFuture(0);
        }
        CompletableFuture<CompletableFuture<Integer>> started = new CompletableFuture<>();
        worker.execute(() -> {
            restore = new Restore(random.nextLong());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeLong(restore.id);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            mesh.send(peer, SYNC_REQUEST, bytes.toByteArray());
            started.complete(restore.done);
        });
        return started.thenCompose(f -> f);
    }

    private void answerRestore(String peer, long id) {
        List<TreeInsert> chunk = new ArrayList<>();
        int[] state = new int[2]; // [chunk index, bytes in chunk]
        int entries = 0;
        for (Map.Entry<String, RadixTree> tree : index.trees().entrySet()) {
            String model = tree.getKey();
            List<TreeInsert> all = new ArrayList<>();
            tree.getValue().forEachEntry((path, tenant, stamp) -> all.add(new TreeInsert(model, tenant, path, stamp)));
            for (TreeInsert insert : all) {
                chunk.add(insert);
                state[1] += TreeCodec.size(insert);
                entries++;
                if (state[1] >= MAX_MESSAGE_BYTES - 64 * 1024) {
                    sendChunk(peer, id, state[0]++, false, chunk);
                    chunk = new ArrayList<>();
                    state[1] = 0;
                }
            }
        }
        sendChunk(peer, id, state[0], true, chunk);
        LOG.log(System.Logger.Level.INFO, "sent {0} tree entries in {1} chunk(s) to {2}", entries, state[0] + 1, peer);
    }

    private void sendChunk(String peer, long id, int chunkIndex, boolean last, List<TreeInsert> inserts) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(id);
            out.writeInt(chunkIndex);
            out.writeBoolean(last);
            TreeCodec.write(out, inserts);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        restoreChunksSent.incrementAndGet();
        largestRestoreChunk.accumulateAndGet(bytes.size(), Math::max);
        // The mesh loop's inbox may be momentarily full: wait for room rather than lose a chunk.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!mesh.send(peer, SNAPSHOT, bytes.toByteArray()) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000L);
        }
    }

    private void applyChunk(String from, byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            long id = in.readLong();
            int chunkIndex = in.readInt();
            boolean last = in.readBoolean();
            List<TreeInsert> inserts = TreeCodec.read(in);
            Restore r = restore;
            if (r == null || r.id != id || chunkIndex < 0 || !r.chunks.add(chunkIndex)) {
                return; // not ours, stale, or a duplicate
            }
            for (TreeInsert insert : inserts) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!index.tryOfferRemote(insert) && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(200_000L); // the writer drains its queue; a restore must not lose entries
                }
            }
            r.entries += inserts.size();
            if (last) {
                r.total = chunkIndex + 1;
            }
            if (r.total > 0 && r.chunks.size() == r.total) {
                int entries = r.entries;
                index.afterPending(() -> r.done.complete(entries));
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "tree restore chunk from {0} refused: {1}", from, e.getMessage());
        }
    }

    @Override
    public void close() {
        flusher.shutdownNow();
        worker.shutdownNow();
    }
}
