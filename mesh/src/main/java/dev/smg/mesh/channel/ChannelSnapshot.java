package dev.smg.mesh.channel;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.smg.mesh.runtime.Loop;
import dev.smg.proto.mesh.SnapshotChunk;
import dev.smg.proto.mesh.SnapshotRequest;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * "Send me everything you have" over two channels, for state that lives outside the CRDT store
 * (cache trees, sticky sessions): a node that starts empty asks one peer ({@link SnapshotRequest}),
 * which answers with its records in {@link SnapshotChunk}s of at most {@value #MAX_CHUNK_BYTES}
 * bytes (under the mesh's message cap); the asker applies them as they come and completes once every
 * chunk is in and applied. Both sides run on the owner's single-writer loop, never a transport
 * thread, and never block it: a chunk that finds the mesh's inbox full is sent again a millisecond
 * later, within {@link #SEND_PATIENCE_NANOS}.
 */
public final class ChannelSnapshot {
    public static final int MAX_CHUNK_BYTES = 1024 * 1024;
    private static final int MAX_RECORD_BYTES = MAX_CHUNK_BYTES - 1024;
    private static final long SEND_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final System.Logger LOG = System.getLogger(ChannelSnapshot.class.getName());

    /** The answering side: hands every record (one serialized message of the state's type) to the sink. */
    public interface Source {
        void records(Consumer<byte[]> sink);
    }

    /**
     * The asking side: applies one chunk's records; the stage completes once they have all taken
     * effect (it may wait for room in a writer's queue, but without blocking the loop).
     */
    public interface Sink {
        CompletionStage<Void> apply(List<ByteString> records);
    }

    private final Channels mesh;
    private final String requestChannel;
    private final String chunkChannel;
    private final Source source;
    private final Sink sink;
    private final Loop loop;
    private final SplittableRandom random;
    private final AtomicLong chunksSent = new AtomicLong();
    private final AtomicLong largestChunk = new AtomicLong();
    private Pending pending; // loop only

    private static final class Pending {
        final long id;
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        final Set<Integer> chunks = new HashSet<>();
        CompletionStage<Void> applied = CompletableFuture.completedFuture(null);
        int total = -1;
        int records;

        Pending(long id) {
            this.id = id;
        }
    }

    /** @param name the state's name; its channels are {@code name.sync-request} and {@code name.snapshot} */
    public ChannelSnapshot(Channels mesh, String name, Source source, Sink sink, Loop loop, long seed) {
        this.mesh = mesh;
        this.requestChannel = name + ".sync-request";
        this.chunkChannel = name + ".snapshot";
        this.source = source;
        this.sink = sink;
        this.loop = loop;
        this.random = new SplittableRandom(seed);
    }

    /** Subscribes to both channels; {@code answer} false: requests are ignored (replication off). */
    public void listen(boolean answer) {
        mesh.onChannel(requestChannel, (from, data, origin) -> {
            if (!answer) {
                return;
            }
            long id = parseRequest(data).getId(); // malformed: refused (and counted) by the mesh
            loop.execute(() -> answer(from, id));
        });
        mesh.onChannel(chunkChannel, (from, data, origin) -> {
            SnapshotChunk chunk = parseChunk(data);
            loop.execute(() -> applyChunk(from, chunk));
        });
    }

    /** Asks {@code peer}; completes with the number of records applied once every chunk took effect. */
    public CompletableFuture<Integer> requestFrom(String peer) {
        CompletableFuture<Integer> result = new CompletableFuture<>();
        loop.execute(() -> {
            pending = new Pending(random.nextLong());
            mesh.send(peer, requestChannel, SnapshotRequest.newBuilder().setId(pending.id).build().toByteArray());
            pending.done.whenComplete((n, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(n);
                }
            });
        });
        return result;
    }

    public long chunksSent() {
        return chunksSent.get();
    }

    public long largestChunk() {
        return largestChunk.get();
    }

    private void answer(String peer, long id) {
        List<ByteString> chunk = new ArrayList<>();
        ChunkCursor cursor = new ChunkCursor();
        source.records(record -> {
            if (record.length > MAX_RECORD_BYTES) {
                return; // cannot travel; the next live update carries it
            }
            if (cursor.bytes + record.length + 8 > MAX_CHUNK_BYTES - 64) {
                send(peer, id, cursor.index++, false, chunk);
                chunk.clear();
                cursor.bytes = 0;
            }
            chunk.add(ByteString.copyFrom(record));
            cursor.bytes += record.length + 8;
            cursor.records++;
        });
        send(peer, id, cursor.index, true, chunk);
        LOG.log(System.Logger.Level.INFO, "sent {0} {1} record(s) in {2} chunk(s) to {3}", cursor.records,
                chunkChannel, cursor.index + 1, peer);
    }

    /** Where the answer being cut into chunks stands. */
    private static final class ChunkCursor {
        int index;
        int bytes;
        int records;
    }

    private void send(String peer, long id, int index, boolean last, List<ByteString> records) {
        byte[] bytes = SnapshotChunk.newBuilder().setId(id).setIndex(index).setLast(last).addAllRecords(records)
                .build().toByteArray();
        chunksSent.incrementAndGet();
        largestChunk.accumulateAndGet(bytes.length, Math::max);
        sendPatiently(peer, bytes, loop.nanoTime() + SEND_PATIENCE_NANOS);
    }

    /** The mesh's inbox may be momentarily full: try again shortly rather than lose a chunk. */
    private void sendPatiently(String peer, byte[] bytes, long deadline) {
        if (!mesh.send(peer, chunkChannel, bytes) && loop.nanoTime() < deadline) {
            loop.schedule(RETRY_NANOS, () -> sendPatiently(peer, bytes, deadline));
        }
    }

    private void applyChunk(String from, SnapshotChunk chunk) {
        Pending p = pending;
        if (p == null || p.id != chunk.getId() || !p.chunks.add(chunk.getIndex())) {
            return; // not ours, stale, or a duplicate
        }
        CompletionStage<Void> applied = sink.apply(chunk.getRecordsList());
        p.applied = p.applied.thenCombine(applied, (a, b) -> null);
        p.records += chunk.getRecordsCount();
        if (chunk.getLast()) {
            p.total = chunk.getIndex() + 1;
        }
        if (p.total > 0 && p.chunks.size() == p.total) {
            int n = p.records;
            p.applied.whenComplete((v, e) -> {
                if (e != null) {
                    LOG.log(System.Logger.Level.WARNING, "{0} from {1} not applied: {2}", chunkChannel, from,
                            e.toString());
                    p.done.completeExceptionally(e);
                } else {
                    p.done.complete(n);
                }
            });
        }
    }

    private static SnapshotRequest parseRequest(ByteString data) {
        try {
            return SnapshotRequest.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed snapshot request");
        }
    }

    private static SnapshotChunk parseChunk(ByteString data) {
        try {
            return SnapshotChunk.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed snapshot chunk");
        }
    }
}
