package dev.smg.mesh.store;

import com.google.protobuf.ByteString;
import dev.smg.mesh.crdt.CausalContext;
import dev.smg.mesh.crdt.Crdt;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.Dot;
import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.crdt.HlcTimestamp;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.crdt.OrSet;
import dev.smg.mesh.crdt.PNCounter;
import dev.smg.proto.mesh.CausalContextState;
import dev.smg.proto.mesh.CrdtMapState;
import dev.smg.proto.mesh.CrdtValue;
import dev.smg.proto.mesh.DotState;
import dev.smg.proto.mesh.GCounterState;
import dev.smg.proto.mesh.HlcStamp;
import dev.smg.proto.mesh.LwwState;
import dev.smg.proto.mesh.OrSetEntry;
import dev.smg.proto.mesh.OrSetState;
import dev.smg.proto.mesh.PNCounterState;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Wire form of the store's CRDT states (and so of deltas): CRDT maps with string keys whose values
 * are G-Counters, PN-Counters or LWW registers of strings (JSON written by the router's adapters).
 * Decoding checks what it can (no negative counts, no missing stamps) and throws
 * {@link IllegalArgumentException} on anything malformed, so a bad peer cannot plant bad state.
 */
public final class DeltaCodec {
    private DeltaCodec() {
    }

    public static CrdtMapState encode(CrdtMap<String, ? extends Crdt<?>> map) {
        CrdtMapState.Builder out = CrdtMapState.newBuilder().setKeys(encode(map.keys()));
        map.values().forEach((k, v) -> out.putValues(k, encodeValue(v)));
        return out.build();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static CrdtMap<String, ?> decode(CrdtMapState state) {
        OrSet<String> keys = decode(state.getKeys());
        Map<String, Crdt> values = new HashMap<>();
        state.getValuesMap().forEach((k, v) -> values.put(k, decodeValue(v)));
        return new CrdtMap(keys, values);
    }

    static CrdtValue encodeValue(Object value) {
        if (value instanceof GCounter g) {
            return CrdtValue.newBuilder().setGCounter(encode(g)).build();
        }
        if (value instanceof PNCounter p) {
            return CrdtValue.newBuilder().setPnCounter(PNCounterState.newBuilder()
                    .setIncrements(encode(p.increments())).setDecrements(encode(p.decrements()))).build();
        }
        if (value instanceof LwwRegister<?> r) {
            LwwState.Builder lww = LwwState.newBuilder().setStamp(encode(r.stamp()));
            if (r.value() != null) {
                if (!(r.value() instanceof ByteString bytes)) {
                    throw new IllegalArgumentException("LWW values on the wire are bytes (a serialized message)");
                }
                lww.setPresent(true).setValue(bytes);
            }
            return CrdtValue.newBuilder().setLww(lww).build();
        }
        throw new IllegalArgumentException("no wire form for " + value.getClass().getSimpleName());
    }

    static Crdt<?> decodeValue(CrdtValue value) {
        return switch (value.getKindCase()) {
            case G_COUNTER -> decode(value.getGCounter());
            case PN_COUNTER -> new PNCounter(decode(value.getPnCounter().getIncrements()),
                    decode(value.getPnCounter().getDecrements()));
            case LWW -> {
                LwwState lww = value.getLww();
                if (!lww.hasStamp()) {
                    throw new IllegalArgumentException("LWW value without a stamp");
                }
                yield new LwwRegister<>(lww.getPresent() ? lww.getValue() : null, decode(lww.getStamp()));
            }
            case KIND_NOT_SET -> throw new IllegalArgumentException("CRDT value of no kind");
        };
    }

    static GCounterState encode(GCounter g) {
        return GCounterState.newBuilder().putAllEntries(g.entries()).build();
    }

    static GCounter decode(GCounterState state) {
        Map<String, Long> entries = new HashMap<>();
        state.getEntriesMap().forEach((replica, n) -> {
            if (n < 0) {
                throw new IllegalArgumentException("negative G-Counter entry"); // uint64 beyond 2^63
            }
            entries.put(replica, n);
        });
        return new GCounter(entries);
    }

    static HlcStamp encode(HlcTimestamp t) {
        return HlcStamp.newBuilder().setWallMillis(t.wallMillis()).setLogical(t.logical()).setReplica(t.replica())
                .build();
    }

    static HlcTimestamp decode(HlcStamp s) {
        return new HlcTimestamp(s.getWallMillis(), s.getLogical(), s.getReplica());
    }

    static OrSetState encode(OrSet<String> set) {
        OrSetState.Builder out = OrSetState.newBuilder();
        set.entries().forEach((element, dots) -> {
            OrSetEntry.Builder entry = OrSetEntry.newBuilder().setElement(element);
            dots.forEach(d -> entry.addDots(encode(d)));
            out.addEntries(entry);
        });
        CausalContextState.Builder ctx = CausalContextState.newBuilder().putAllVector(set.context().vector());
        set.context().cloud().forEach(d -> ctx.addCloud(encode(d)));
        return out.setContext(ctx).build();
    }

    static OrSet<String> decode(OrSetState state) {
        Map<String, Set<Dot>> entries = new HashMap<>();
        for (OrSetEntry e : state.getEntriesList()) {
            Set<Dot> dots = new HashSet<>();
            e.getDotsList().forEach(d -> dots.add(decode(d)));
            entries.merge(e.getElement(), dots, (a, b) -> {
                Set<Dot> all = new HashSet<>(a);
                all.addAll(b);
                return all;
            });
        }
        Set<Dot> cloud = new HashSet<>();
        state.getContext().getCloudList().forEach(d -> cloud.add(decode(d)));
        CausalContext ctx = CausalContext.EMPTY.merge(new CausalContext(state.getContext().getVectorMap(), cloud));
        return new OrSet<>(entries, ctx);
    }

    static DotState encode(Dot d) {
        return DotState.newBuilder().setReplica(d.replica()).setCounter(d.counter()).build();
    }

    static Dot decode(DotState d) {
        if (d.getCounter() <= 0) {
            throw new IllegalArgumentException("dot counters start at 1");
        }
        return new Dot(d.getReplica(), d.getCounter());
    }
}
