package dev.smg.api.ha;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.smg.mesh.channel.ChannelSnapshot;
import dev.smg.mesh.channel.Channels;
import dev.smg.proto.ha.SessionAssignment;
import dev.smg.proto.ha.SessionBatch;
import dev.smg.router.policy.ManualPolicy;
import dev.smg.router.policy.PolicyFactory;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.RoutingPolicy;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Replicates sticky sessions (the manual policy's routing key to worker mapping), so a user pinned
 * to a worker through one router stays on it through every router. New and re-announced
 * assignments are queued (bounded; full: dropped and counted) and broadcast every
 * {@code HaSettings.sessionFlush} (50 ms) from the HA loop; peers adopt them on their HA loop without announcing
 * them again. A router that starts empty copies every live session from one peer before it is
 * ready. Concurrent first requests for one key at two routers may place it twice; the later
 * placement (wall-clock time, then worker URL) wins on both.
 */
public final class SessionSync implements Restorable {
    static final String ASSIGNMENTS = "sessions.assign";
    static final int MAX_KEY_CHARS = 1024;
    private static final int BATCH_BYTES = 512 * 1024;

    private final PolicyRegistry policies;
    private final PolicyFactory factory;
    private final Channels mesh;
    private final HaLoop loop;
    private final MpscAtomicArrayQueue<SessionAssignment> outbound;
    private final AtomicLong dropped = new AtomicLong();
    private final ChannelSnapshot snapshot;

    public SessionSync(PolicyRegistry policies, PolicyFactory factory, Channels mesh, HaLoop loop,
                       int queueCapacity) {
        this.policies = policies;
        this.outbound = new MpscAtomicArrayQueue<>(queueCapacity);
        this.factory = factory;
        this.mesh = mesh;
        this.loop = loop;
        this.snapshot = new ChannelSnapshot(mesh, "sessions", this::sessions, this::adoptRecords, loop,
                loop.nanoTime());
    }

    /** @param flushEvery how often queued assignments are broadcast ({@code HaSettings.sessionFlush}) */
    public void start(Duration flushEvery) {
        factory.replicateSessionsTo((policy, key, url, placed) -> {
            String policyKey = keyOf(policy);
            if (policyKey != null && key.length() <= MAX_KEY_CHARS && !outbound.offer(assignment(policyKey, key,
                    url, placed))) {
                dropped.incrementAndGet();
            }
        });
        mesh.onChannel(ASSIGNMENTS, (from, data, origin) -> {
            SessionBatch batch = parse(data); // malformed: refused and counted by the mesh
            loop.execute(() -> batch.getAssignmentsList().forEach(this::adopt));
        });
        snapshot.listen(true);
        loop.every(flushEvery, this::flush);
    }

    @Override
    public String what() {
        return "sticky sessions";
    }

    @Override
    public CompletableFuture<Integer> restoreFrom(String peer) {
        return snapshot.requestFrom(peer);
    }

    /** Assignments not replicated because the outbound queue was full. */
    public long dropped() {
        return dropped.get();
    }

    private String keyOf(RoutingPolicy policy) {
        for (Map.Entry<String, RoutingPolicy> e : policies.byKey().entrySet()) {
            if (e.getValue() == policy) {
                return e.getKey();
            }
        }
        return null; // a policy replaced since: its sessions went with it
    }

    private void flush() {
        SessionBatch.Builder batch = SessionBatch.newBuilder();
        int bytes = 0;
        SessionAssignment a;
        while ((a = outbound.poll()) != null) {
            batch.addAssignments(a);
            bytes += a.getSerializedSize() + 4;
            if (bytes >= BATCH_BYTES) {
                ship(batch);
                batch = SessionBatch.newBuilder();
                bytes = 0;
            }
        }
        if (batch.getAssignmentsCount() > 0) {
            ship(batch);
        }
    }

    private void ship(SessionBatch.Builder batch) {
        if (!mesh.broadcast(ASSIGNMENTS, batch.build().toByteArray())) {
            dropped.incrementAndGet();
        }
    }

    private void sessions(Consumer<byte[]> sink) {
        policies.byKey().forEach((policyKey, policy) -> {
            if (policy instanceof ManualPolicy manual) {
                manual.liveSessions().forEach((key, p) -> {
                    if (key.length() <= MAX_KEY_CHARS) {
                        sink.accept(assignment(policyKey, key, p.workerUrl(), p.placedMillis()).toByteArray());
                    }
                });
            }
        });
    }

    /** Adopts the sessions of a restore chunk (each record one {@code SessionAssignment}). */
    private CompletionStage<Void> adoptRecords(List<ByteString> records) {
        for (ByteString record : records) {
            try {
                adopt(SessionAssignment.parseFrom(record));
            } catch (InvalidProtocolBufferException e) {
                dropped.incrementAndGet();
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    private void adopt(SessionAssignment a) {
        if (a.getKey().length() > MAX_KEY_CHARS || a.getWorker().isEmpty()) {
            dropped.incrementAndGet();
            return;
        }
        if (policies.byKey().get(a.getPolicy()) instanceof ManualPolicy manual) {
            manual.adopt(a.getKey(), new ManualPolicy.Placement(a.getWorker(), a.getPlacedMillis()));
        }
    }

    private static SessionAssignment assignment(String policy, String key, String worker, long placed) {
        return SessionAssignment.newBuilder().setPolicy(policy).setKey(key).setWorker(worker)
                .setPlacedMillis(placed).build();
    }

    private static SessionBatch parse(ByteString data) {
        try {
            return SessionBatch.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed session batch");
        }
    }
}
