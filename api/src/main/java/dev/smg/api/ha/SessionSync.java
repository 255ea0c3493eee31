package dev.smg.api.ha;

import dev.smg.mesh.runtime.MeshNode;
import dev.smg.router.policy.ManualPolicy;
import dev.smg.router.policy.PolicyFactory;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.RoutingPolicy;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Replicates sticky sessions (the manual policy's routing key to worker mapping), so a user pinned
 * to a worker through one router stays on it through every router. New and re-announced
 * assignments are queued (bounded; full: dropped and counted) and broadcast every
 * {@value #FLUSH_MILLIS} ms; peers adopt them without announcing them again. A router that starts
 * empty copies every live session from one peer before it is ready. Concurrent first requests for
 * one key at two routers may place it twice; the later placement (wall-clock time, then worker URL)
 * wins on both.
 */
public final class SessionSync implements Restorable, AutoCloseable {
    static final String ASSIGNMENTS = "sessions.assign";
    static final int FLUSH_MILLIS = 50;
    static final int MAX_KEY_CHARS = 1024;
    private static final int BATCH_BYTES = 512 * 1024;

    private record Assignment(String policy, String key, String worker, long placedMillis) {
    }

    private final PolicyRegistry policies;
    private final PolicyFactory factory;
    private final MeshNode mesh;
    private final MpscAtomicArrayQueue<Assignment> outbound = new MpscAtomicArrayQueue<>(65_536);
    private final AtomicLong dropped = new AtomicLong();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("smg-session-sync").factory());
    private final ChannelSnapshot snapshot;

    public SessionSync(PolicyRegistry policies, PolicyFactory factory, MeshNode mesh) {
        this.policies = policies;
        this.factory = factory;
        this.mesh = mesh;
        this.snapshot = new ChannelSnapshot(mesh, "sessions", this::sessions, this::adoptAll, worker,
                Runnable::run);
    }

    public void start() {
        factory.onManualAssignment((policy, key, url, placed) -> {
            String policyKey = keyOf(policy);
            if (policyKey != null && key.length() <= MAX_KEY_CHARS && !outbound.offer(
                    new Assignment(policyKey, key, url, placed))) {
                dropped.incrementAndGet();
            }
        });
        mesh.onChannel(ASSIGNMENTS, (from, data, origin) -> {
            List<byte[]> records = decodeBatch(data.toByteArray()); // malformed: refused and counted here
            worker.execute(() -> adoptAll(records));
        });
        snapshot.listen(true);
        worker.scheduleWithFixedDelay(this::flush, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
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
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        Assignment a;
        while ((a = outbound.poll()) != null) {
            byte[] record = encode(a);
            writeRecord(batch, record);
            if (batch.size() >= BATCH_BYTES) {
                ship(batch);
                batch = new ByteArrayOutputStream();
            }
        }
        if (batch.size() > 0) {
            ship(batch);
        }
    }

    private void ship(ByteArrayOutputStream batch) {
        if (!mesh.broadcast(ASSIGNMENTS, batch.toByteArray())) {
            dropped.incrementAndGet();
        }
    }

    private void sessions(Consumer<byte[]> sink) {
        policies.byKey().forEach((policyKey, policy) -> {
            if (policy instanceof ManualPolicy manual) {
                manual.liveSessions().forEach((key, p) -> {
                    if (key.length() <= MAX_KEY_CHARS) {
                        sink.accept(encode(new Assignment(policyKey, key, p.workerUrl(), p.placedMillis())));
                    }
                });
            }
        });
    }

    /** Adopts sessions from a broadcast batch or a restore chunk (records are encoded assignments). */
    private void adoptAll(List<byte[]> records) {
        for (byte[] record : records) {
            try {
                Assignment a = decode(record);
                if (policies.byKey().get(a.policy()) instanceof ManualPolicy manual) {
                    manual.adopt(a.key(), new ManualPolicy.Placement(a.worker(), a.placedMillis()));
                }
            } catch (IllegalArgumentException e) {
                dropped.incrementAndGet();
            }
        }
    }

    private static byte[] encode(Assignment a) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(a.policy());
            out.writeUTF(a.key());
            out.writeUTF(a.worker());
            out.writeLong(a.placedMillis());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static Assignment decode(byte[] record) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(record))) {
            return new Assignment(in.readUTF(), in.readUTF(), in.readUTF(), in.readLong());
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed session record");
        }
    }

    private static void writeRecord(ByteArrayOutputStream batch, byte[] record) {
        batch.write(record.length >>> 8);
        batch.write(record.length);
        batch.writeBytes(record);
    }

    private static List<byte[]> decodeBatch(byte[] bytes) {
        List<byte[]> records = new ArrayList<>();
        int i = 0;
        while (i + 2 <= bytes.length) {
            int n = ((bytes[i] & 0xFF) << 8) | (bytes[i + 1] & 0xFF);
            if (i + 2 + n > bytes.length) {
                throw new IllegalArgumentException("truncated session batch");
            }
            records.add(Arrays.copyOfRange(bytes, i + 2, i + 2 + n));
            i += 2 + n;
        }
        return records;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
