package dev.smg.mesh.store;

import com.google.protobuf.ByteString;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.crdt.HlcTimestamp;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.crdt.PNCounter;
import dev.smg.proto.mesh.CrdtMapState;
import dev.smg.proto.mesh.CrdtValue;
import dev.smg.proto.mesh.DotState;
import dev.smg.proto.mesh.OrSetEntry;
import dev.smg.proto.mesh.OrSetState;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DeltaCodecTest {
    @Test
    void randomStatesSurviveTheWireUnchanged() throws Exception {
        Random random = new Random(5);
        for (int round = 0; round < 100; round++) {
            CrdtMap<String, GCounter> counters = CrdtMap.empty();
            CrdtMap<String, PNCounter> buckets = CrdtMap.empty();
            CrdtMap<String, LwwRegister<ByteString>> workers = CrdtMap.empty();
            for (int i = 0; i < 20; i++) {
                String replica = "r" + random.nextInt(3);
                String key = "k" + random.nextInt(5);
                if (random.nextInt(5) == 0) {
                    counters = counters.merge(counters.removeDelta(key));
                    workers = workers.merge(workers.removeDelta(key));
                    continue;
                }
                GCounter g = counters.values().getOrDefault(key, GCounter.EMPTY);
                counters = counters.merge(counters.updateDelta(replica, key, g.incrementDelta(replica, 1)));
                PNCounter p = buckets.values().getOrDefault(key, PNCounter.EMPTY);
                buckets = buckets.merge(buckets.updateDelta(replica, key, p.addDelta(replica, random.nextInt(9) - 4)));
                workers = workers.merge(workers.updateDelta(replica, key,
                        new LwwRegister<>(ByteString.copyFromUtf8("{\"v\":" + i + "}"), new HlcTimestamp(i, round, replica))));
            }
            for (CrdtMap<String, ?> state : java.util.List.of(counters, buckets, workers)) {
                byte[] wire = DeltaCodec.encode((CrdtMap) state).toByteArray();
                assertEquals(state, DeltaCodec.decode(CrdtMapState.parseFrom(wire)));
            }
        }
    }

    @Test
    void malformedStatesAreRefused() {
        CrdtMapState badDot = CrdtMapState.newBuilder().setKeys(OrSetState.newBuilder()
                .addEntries(OrSetEntry.newBuilder().setElement("k").addDots(DotState.newBuilder().setReplica("r")))).build();
        assertThrows(IllegalArgumentException.class, () -> DeltaCodec.decode(badDot));
        CrdtMapState noKind = CrdtMapState.newBuilder().putValues("k", CrdtValue.getDefaultInstance()).build();
        assertThrows(IllegalArgumentException.class, () -> DeltaCodec.decode(noKind));
    }
}
