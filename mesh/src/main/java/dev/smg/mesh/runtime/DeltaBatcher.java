package dev.smg.mesh.runtime;

import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.store.DeltaCodec;
import dev.smg.proto.mesh.DeltaBatch;
import dev.smg.proto.mesh.NamespaceDelta;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Coalesces the local deltas of one mesh-loop batch into one message: deltas are CRDT states, so
 * the deltas of a namespace merge into one, and every write of a busy batch costs peers one
 * envelope instead of one each. Flushed at the end of each loop batch, or earlier once
 * {@code maxWrites} writes are pending (bounding the message; {@code SyncSettings.pushBatchWrites}).
 * Loop thread only.
 */
final class DeltaBatcher {
    private final int maxWrites;
    private final Map<String, CrdtMap<String, ?>> pending = new LinkedHashMap<>();
    private final Consumer<DeltaBatch> send;
    private long firstWriteMillis;
    private int writes;

    DeltaBatcher(int maxWrites, Consumer<DeltaBatch> send) {
        this.maxWrites = maxWrites;
        this.send = send;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    void add(String namespace, CrdtMap<String, ?> delta) {
        if (writes == 0) {
            firstWriteMillis = System.currentTimeMillis();
        }
        pending.merge(namespace, delta, (a, b) -> (CrdtMap) ((CrdtMap) a).merge((CrdtMap) b));
        if (++writes >= maxWrites) {
            flush();
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    void flush() {
        if (pending.isEmpty()) {
            return;
        }
        DeltaBatch.Builder batch = DeltaBatch.newBuilder().setOriginWallMillis(firstWriteMillis);
        pending.forEach((ns, delta) -> batch.addDeltas(NamespaceDelta.newBuilder().setNamespace(ns)
                .setDelta(DeltaCodec.encode((CrdtMap) delta))));
        pending.clear();
        writes = 0;
        send.accept(batch.build());
    }
}
