package dev.smg.api.ha;

import dev.smg.mesh.runtime.MeshNode;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * "Send me everything you have" over two mesh channels, for state that lives outside the CRDT
 * store (cache trees, sticky sessions): a router that starts empty asks one peer, which answers
 * with its records in chunks of at most {@value #MAX_CHUNK_BYTES} bytes (under the mesh's message
 * cap); the asker applies them as they come and completes once every chunk is in. Both sides work
 * on the caller's worker thread, never a gRPC thread.
 */
final class ChannelSnapshot {
    static final int MAX_CHUNK_BYTES = 1024 * 1024;
    private static final int MAX_RECORD_BYTES = MAX_CHUNK_BYTES - 1024;
    private static final System.Logger LOG = System.getLogger(ChannelSnapshot.class.getName());

    /** The answering side: hands every record (an encoded entry) to the sink. */
    interface Source {
        void records(Consumer<byte[]> sink);
    }

    /** The asking side: applies one chunk's records (may wait for room; it runs on the worker). */
    interface Sink {
        void apply(List<byte[]> records);
    }

    private final MeshNode mesh;
    private final String requestChannel;
    private final String chunkChannel;
    private final Source source;
    private final Sink sink;
    private final ExecutorService worker;
    private final Consumer<Runnable> barrier;
    private final SplittableRandom random = new SplittableRandom();
    private final AtomicLong chunksSent = new AtomicLong();
    private final AtomicLong largestChunk = new AtomicLong();
    private Pending pending; // worker thread only

    private static final class Pending {
        final long id;
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        final Set<Integer> chunks = new HashSet<>();
        int total = -1;
        int records;

        Pending(long id) {
            this.id = id;
        }
    }

    /**
     * @param afterApplied given a callback, runs it once everything applied so far has taken effect
     *                     (e.g. a tree writer's barrier); the restore completes then
     */
    ChannelSnapshot(MeshNode mesh, String name, Source source, Sink sink, ExecutorService worker,
                    Consumer<Runnable> afterApplied) {
        this.mesh = mesh;
        this.requestChannel = name + ".sync-request";
        this.chunkChannel = name + ".snapshot";
        this.source = source;
        this.sink = sink;
        this.worker = worker;
        this.barrier = afterApplied;
    }

    /** Subscribes to both channels; {@code answer} false: requests are ignored (replication off). */
    void listen(boolean answer) {
        mesh.onChannel(requestChannel, (from, data, origin) -> {
            if (!answer) {
                return;
            }
            if (data.size() != Long.BYTES) {
                throw new IllegalArgumentException("a snapshot request is one 8-byte id");
            }
            long id = ByteBuffer.wrap(data.toByteArray()).getLong();
            worker.execute(() -> answer(from, id));
        });
        mesh.onChannel(chunkChannel, (from, data, origin) -> {
            byte[] bytes = data.toByteArray();
            worker.execute(() -> applyChunk(from, bytes));
        });
    }

    CompletableFuture<Integer> requestFrom(String peer) {
        CompletableFuture<CompletableFuture<Integer>> started = new CompletableFuture<>();
        worker.execute(() -> {
            pending = new Pending(random.nextLong());
            mesh.send(peer, requestChannel, ByteBuffer.allocate(Long.BYTES).putLong(pending.id).array());
            started.complete(pending.done);
        });
        return started.thenCompose(f -> f);
    }

    long chunksSent() {
        return chunksSent.get();
    }

    long largestChunk() {
        return largestChunk.get();
    }

    private void answer(String peer, long id) {
        List<byte[]> chunk = new ArrayList<>();
        int[] state = new int[3]; // chunk index, bytes in chunk, records
        source.records(record -> {
            if (record.length > MAX_RECORD_BYTES) {
                return; // cannot travel; the next live update carries it
            }
            if (state[1] + record.length + 4 > MAX_CHUNK_BYTES - 64) {
                send(peer, id, state[0]++, false, chunk);
                chunk.clear();
                state[1] = 0;
            }
            chunk.add(record);
            state[1] += record.length + 4;
            state[2]++;
        });
        send(peer, id, state[0], true, chunk);
        LOG.log(System.Logger.Level.INFO, "sent {0} {1} record(s) in {2} chunk(s) to {3}", state[2],
                chunkChannel, state[0] + 1, peer);
    }

    private void send(String peer, long id, int index, boolean last, List<byte[]> records) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(id);
            out.writeInt(index);
            out.writeBoolean(last);
            out.writeInt(records.size());
            for (byte[] r : records) {
                out.writeInt(r.length);
                out.write(r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        chunksSent.incrementAndGet();
        largestChunk.accumulateAndGet(bytes.size(), Math::max);
        // The mesh loop's inbox may be momentarily full: wait for room rather than lose a chunk.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!mesh.send(peer, chunkChannel, bytes.toByteArray()) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000L);
        }
    }

    private void applyChunk(String from, byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            long id = in.readLong();
            int index = in.readInt();
            boolean last = in.readBoolean();
            int count = in.readInt();
            if (count < 0 || count > bytes.length / 4) {
                throw new IllegalArgumentException("bad record count " + count);
            }
            List<byte[]> records = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int n = in.readInt();
                if (n < 0 || n > in.available()) {
                    throw new IllegalArgumentException("bad record length " + n);
                }
                records.add(in.readNBytes(n));
            }
            Pending p = pending;
            if (p == null || p.id != id || index < 0 || !p.chunks.add(index)) {
                return; // not ours, stale, or a duplicate
            }
            sink.apply(records);
            p.records += count;
            if (last) {
                p.total = index + 1;
            }
            if (p.total > 0 && p.chunks.size() == p.total) {
                int n = p.records;
                barrier.accept(() -> p.done.complete(n));
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "{0} chunk from {1} refused: {2}", chunkChannel, from, e.getMessage());
        }
    }
}
